//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// copyBuf is the size of the buffer each connection of the fiber face
// copies through.
const copyBuf = 16 << 10

// server is a running echo server of either face.
type server struct {
	addr   net.Addr
	exited <-chan struct{} // closed if the server stops by itself; may be nil
	once   sync.Once
	stop   func() error
	err    error
}

// Addr returns the address the server listens on, with the port the
// system chose for ":0".
func (s *server) Addr() net.Addr { return s.addr }

// Exited is closed when the server has stopped by itself (the fiber
// face, when accepting fails); Close tells why. It is nil for the
// callback face, which goes on serving the connections it has.
func (s *server) Exited() <-chan struct{} { return s.exited }

// Close stops the server, closes its connections and waits until every
// loop it ran is gone. Later calls return the first call's result.
func (s *server) Close() error {
	s.once.Do(func() { s.err = s.stop() })
	return s.err
}

// startServer starts an echo server of the given face ("callback" or
// "fiber") on addr; it is listening when startServer returns. Cancelling
// ctx stops the fiber face's fibers; Close stops either face.
func startServer(ctx context.Context, face, addr string) (*server, error) {
	switch face {
	case "callback":
		return startCallback(addr)
	case "fiber":
		return startFiber(ctx, addr)
	}
	return nil, fmt.Errorf("unknown face %q (want callback or fiber)", face)
}

// startCallback serves echo on the callback face: a loop group with one
// loop per core, and a Handler whose OnData writes the bytes back. The
// loops block their threads when they wait (loop.WithBlockingWait): their
// work comes from their sockets, and a wake-up then costs one thread woken
// by the kernel (docs/echo-bench.md).
func startCallback(addr string) (*server, error) {
	g, err := loop.NewGroup(runtime.GOMAXPROCS(0), loop.WithBlockingWait())
	if err != nil {
		return nil, err
	}
	srv, err := netpoll.Serve(g, "tcp", addr, echoHandler{})
	if err != nil {
		return nil, errors.Join(err, g.Close())
	}
	return &server{addr: srv.Addr(), stop: func() error {
		err := srv.Close()
		return errors.Join(err, g.Close())
	}}, nil
}

// echoHandler is the callback face's echo: OnData writes the data back.
// When the connection's write queue is at its high watermark, Write
// returns netpoll.ErrQueueFull and reading pauses; the bytes not taken
// wait in the connection's pending buffer (its Value) and OnDrain writes
// them once the queue has drained, before reading resumes.
type echoHandler struct{}

// pending is what a connection could not write yet.
type pending struct{ buf []byte }

var (
	_ netpoll.Handler = echoHandler{}
	_ netpoll.Drainer = echoHandler{}
)

func (echoHandler) OnOpen(*netpoll.EventConn) {}

func (echoHandler) OnData(c *netpoll.EventConn, data []byte) {
	p, _ := c.Value().(*pending)
	if p != nil && len(p.buf) > 0 {
		// Earlier bytes are still waiting: keep the order. Reading is
		// paused while anything waits, so this is only a safety net.
		p.buf = append(p.buf, data...)
		return
	}
	n, err := c.Write(data)
	if errors.Is(err, netpoll.ErrQueueFull) {
		if p == nil {
			p = &pending{}
			c.SetValue(p)
		}
		// data lives in the loop's read buffer: copy what is kept.
		p.buf = append(p.buf, data[n:]...)
	}
	// Any other error broke the connection, and OnClose runs.
}

func (echoHandler) OnDrain(c *netpoll.EventConn) {
	p, _ := c.Value().(*pending)
	if p == nil || len(p.buf) == 0 {
		return
	}
	n, err := c.Write(p.buf) // on the loop, Write copies what it queues
	switch {
	case errors.Is(err, netpoll.ErrQueueFull):
		p.buf = p.buf[:copy(p.buf, p.buf[n:])]
	case cap(p.buf) > maxKeep:
		p.buf = nil
	default:
		p.buf = p.buf[:0]
	}
}

// maxKeep is the largest pending buffer a connection keeps for reuse.
const maxKeep = 64 << 10

func (echoHandler) OnClose(c *netpoll.EventConn, _ error) { c.SetValue(nil) }

// startFiber serves echo on the fiber face: one fiber.Run whose main
// fiber listens and starts a fiber per connection that copies the bytes
// back. It stops when ctx is cancelled or on Close, and by itself if
// accepting fails.
func startFiber(ctx context.Context, addr string) (*server, error) {
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	exited := make(chan struct{})
	var runErr error
	go func() {
		defer close(exited)
		runErr = fiber.Run(ctx, func(ctx context.Context) error {
			err := serveFibers(ctx, addr, ready)
			if err != nil {
				cancel() // end the connections' fibers too, and so Run
			}
			return err
		})
	}()
	select {
	case a := <-ready:
		return &server{addr: a, exited: exited, stop: func() error {
			cancel()
			<-exited
			return runErr
		}}, nil
	case <-exited:
		cancel()
		return nil, runErr
	}
}

// serveFibers is the fiber face's main fiber: it listens on addr, tells
// ready the address, and accepts until ctx is cancelled (a parked Accept
// then wakes with ctx's error), starting a fiber per connection.
func serveFibers(ctx context.Context, addr string, ready chan<- net.Addr) error {
	ln, err := netpoll.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	ready <- ln.Addr() // buffered: never parks the loop
	for {
		c, err := ln.AcceptConn()
		if err != nil {
			if ctx.Err() != nil {
				return nil // shutting down
			}
			return err
		}
		fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, echoConn(c)
		})
	}
}

// echoConn copies what c reads back to c through a copyBuf buffer until
// EOF (or an error: the context's, when the server stops), then closes c.
// (*netpoll.Conn has no ReadFrom or WriteTo, so io.CopyBuffer uses the
// buffer.)
func echoConn(c *netpoll.Conn) error {
	defer c.Close()
	_, err := io.CopyBuffer(c, c, make([]byte, copyBuf))
	return err
}
