//go:build linux

package main

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// startCallback serves echo on weft's callback face: netpoll.Serve on a
// group with a loop per GOMAXPROCS, whose loops block their threads in
// epoll_wait when they wait (loop.WithBlockingWait): a callback server's
// work comes from its sockets, and blocking cost about 15-18 % less CPU
// per request than parking in Go's netpoller at 50 connections, 3-20 % at
// 1,000, in harness runs alternated by hand with WEFT_POLLER_PARK=0
// (docs/poller.md, docs/benchmarks.md).
func startCallback(addr string, st *stats) (*server, error) {
	g, err := loop.NewGroup(runtime.GOMAXPROCS(0), loop.WithBlockingWait())
	if err != nil {
		return nil, err
	}
	srv, err := netpoll.Serve(g, "tcp", addr, &echoHandler{st: st})
	if err != nil {
		return nil, errors.Join(err, g.Close())
	}
	return &server{addr: srv.Addr().String(), stop: func() error {
		err := srv.Close()
		return errors.Join(err, g.Close())
	}}, nil
}

// echoHandler writes back what OnData delivers. When the connection's
// write queue is at its high watermark, Write returns ErrQueueFull and
// reading pauses: the bytes not taken wait in the connection's Value
// until OnDrain.
type echoHandler struct{ st *stats }

// pending is what a connection could not write yet.
type pending struct{ buf []byte }

var (
	_ netpoll.Handler = (*echoHandler)(nil)
	_ netpoll.Drainer = (*echoHandler)(nil)
)

func (h *echoHandler) OnOpen(*netpoll.EventConn) { h.st.accepted.Add(1) }

func (h *echoHandler) OnData(c *netpoll.EventConn, data []byte) {
	p, _ := c.Value().(*pending)
	if p != nil && len(p.buf) > 0 {
		p.buf = append(p.buf, data...) // keep the order
		return
	}
	n, err := c.Write(data)
	if errors.Is(err, netpoll.ErrQueueFull) {
		if p == nil {
			p = &pending{}
			c.SetValue(p)
		}
		p.buf = append(p.buf, data[n:]...) // data is the loop's buffer: copy
	}
	// Any other error broke the connection: OnClose follows.
}

func (h *echoHandler) OnDrain(c *netpoll.EventConn) {
	p, _ := c.Value().(*pending)
	if p == nil || len(p.buf) == 0 {
		return
	}
	n, err := c.Write(p.buf)
	switch {
	case errors.Is(err, netpoll.ErrQueueFull):
		p.buf = p.buf[:copy(p.buf, p.buf[n:])]
	case cap(p.buf) > 64<<10:
		p.buf = nil
	default:
		p.buf = p.buf[:0]
	}
}

func (h *echoHandler) OnClose(c *netpoll.EventConn, err error) {
	c.SetValue(nil)
	h.st.closed.Add(1)
	if !expected(err) {
		h.st.connError(err)
	}
}

// startFiber serves echo on weft's fiber face: one fiber.Run (one loop)
// per GOMAXPROCS, each listening on the address with SO_REUSEPORT (the
// kernel spreads connections over them), whose main fiber starts a fiber
// per connection.
func startFiber(ctx context.Context, addr string, size int, st *stats) (*server, error) {
	ctx, cancel := context.WithCancel(ctx)
	n := runtime.GOMAXPROCS(0)
	exited := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	// serve runs loop i; it sends its listener's address on ready once
	// listening.
	serve := func(i int, addr string, ready chan<- net.Addr) {
		defer wg.Done()
		errs[i] = fiber.Run(ctx, func(ctx context.Context) error {
			ln, err := netpoll.Listen(ctx, "tcp", addr, netpoll.WithReusePort())
			if err != nil {
				return err
			}
			defer ln.Close()
			ready <- ln.Addr()
			for {
				c, err := ln.AcceptConn()
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					cancel()
					return err
				}
				st.accepted.Add(1)
				fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
					err := echoLoop(c, size)
					c.Close()
					st.closed.Add(1)
					if ctx.Err() == nil && !expected(err) {
						st.connError(err)
					}
					return struct{}{}, nil
				})
			}
		})
	}
	ready := make(chan net.Addr, n)
	wg.Add(1)
	go serve(0, addr, ready) // the first resolves port 0; the others take its port
	go func() {
		wg.Wait()
		close(exited)
	}()
	var first net.Addr
	select {
	case first = <-ready:
	case <-exited:
		cancel()
		return nil, errors.Join(errs...)
	}
	for i := 1; i < n; i++ {
		wg.Add(1)
		go serve(i, first.String(), ready)
	}
	for i := 1; i < n; i++ {
		select {
		case <-ready:
		case <-exited:
			cancel()
			return nil, errors.Join(errs...)
		}
	}
	return &server{addr: first.String(), exited: exited, stop: func() error {
		cancel()
		<-exited
		return errors.Join(errs...)
	}}, nil
}
