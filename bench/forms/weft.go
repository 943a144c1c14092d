//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
	"github.com/weftio/weft/netpoll/poller"
)

// startLoop makes a loop and runs it on a goroutine of its own; close
// stops it and returns Run's error.
func startLoop() (l *loop.Loop, close func() error, err error) {
	l, err = loop.New()
	if err != nil {
		return nil, nil, err
	}
	ran := make(chan error, 1)
	go func() { ran <- l.Run() }()
	return l, func() error { return errors.Join(l.Close(), <-ran) }, nil
}

// reactorEnd is a socket registered with the loop.
type reactorEnd struct {
	ld  *load
	e   *end
	err *error // the first error of any end, loop state
}

func (r reactorEnd) Ready(poller.Events) {
	if err := r.ld.serve(r.e, true); err != nil && *r.err == nil {
		*r.err = err
	}
}

// runWeftLoop serves the load in the reactor pattern on a weft loop: each
// socket is registered (edge-triggered) and its handler reads and writes
// with non-blocking calls until EAGAIN.
func runWeftLoop(ld *load) (func() error, error) {
	if err := ld.socketPairs(true); err != nil {
		return nil, err
	}
	l, closeLoop, err := startLoop()
	if err != nil {
		ld.closeAll()
		return nil, err
	}
	es := ld.ends()
	var loopErr error // the handlers', touched only on the loop
	started := make(chan error, 1)
	l.Post(func() {
		for _, e := range es {
			if err := l.Register(e.fd, poller.Readable, reactorEnd{ld, e, &loopErr}); err != nil {
				started <- err
				return
			}
		}
		started <- ld.kick()
	})
	if err := <-started; err != nil {
		closeLoop()
		ld.closeAll()
		return nil, err
	}
	return func() error {
		ld.stopping.Store(true)
		stopped := make(chan error, 1)
		l.Post(func() {
			for _, e := range es {
				l.Unregister(e.fd)
			}
			stopped <- loopErr
		})
		err := <-stopped
		err = errors.Join(err, closeLoop())
		ld.closeAll()
		return err
	}, nil
}

// proactorEvents is the ring's eventfd registered with the loop: when it
// fires, completions are in.
type proactorEvents struct {
	pr       *proactor
	finished func()
}

func (p proactorEvents) Ready(poller.Events) {
	pr := p.pr
	pr.ring.DrainEventFD()
	for {
		n := pr.ring.Reap(pr.complete)
		if pr.err != nil && !pr.closing {
			pr.shutdown()
		}
		if pr.ring.Queued() > 0 {
			if _, err := pr.ring.Submit(); err != nil {
				pr.fail(err)
			}
		}
		// A socket write that the kernel can do at once completes inside
		// Submit: reap it now rather than on the next wake-up.
		if n == 0 {
			break
		}
	}
	if pr.closing && pr.inflight == 0 {
		p.finished()
	}
}

// runWeftURing serves the load in the proactor pattern on a weft loop:
// the ring's eventfd is registered with the loop, and its handler reaps
// the completions, posts what comes next and submits once. While the
// ring has operations in flight the loop blocks its thread rather than
// park its goroutine, as package fs does (docs/fs.md, BlockHint): the
// kernel finishes a completion on the submitting thread.
func runWeftURing(ld *load) (func() error, error) {
	if err := ld.socketPairs(true); err != nil {
		return nil, err
	}
	ring, err := uring.New(uring.Config{Entries: ringEntries})
	if err != nil {
		ld.closeAll()
		return nil, err
	}
	l, closeLoop, err := startLoop()
	if err != nil {
		ring.Close()
		ld.closeAll()
		return nil, err
	}
	pr := newProactor(ld, ring)
	started, done := make(chan error, 1), make(chan error, 1)
	finished := func() {
		l.Unregister(ring.EventFD())
		loopctl.BlockHint(l, -1)
		done <- pr.err
	}
	l.Post(func() {
		if err := l.Register(ring.EventFD(), poller.Readable, proactorEvents{pr, finished}); err != nil {
			started <- err
			return
		}
		loopctl.BlockHint(l, +1)
		pr.start()
		_, err := ring.Submit()
		started <- err
	})
	if err := <-started; err != nil {
		closeLoop()
		ring.Close()
		ld.closeAll()
		return nil, err
	}
	return func() error {
		ld.stopping.Store(true)
		inflight := make(chan int, 1)
		l.Post(func() {
			inflight <- pr.inflight
			pr.shutdown() // the reads complete; the handler finishes once all have
		})
		err := <-done
		if n := <-inflight; ld.ops.Load() == 0 {
			err = errors.Join(err, fmt.Errorf("no round trip completed; %d operations were in flight at the stop", n))
		}
		err = errors.Join(err, closeLoop(), ring.Close())
		ld.closeAll()
		return err
	}, nil
}

// runWeftFiber serves the load with fibers on a weft loop: a fiber per
// socket, reading and writing a netpoll.Conn in blocking style. The
// sockets are Unix stream sockets from netpoll.Listen and Dial.
func runWeftFiber(ld *load) (func() error, error) {
	dir, err := os.MkdirTemp("", "formsbench")
	if err != nil {
		return nil, err
	}
	started := make(chan error, 1)
	stopper := make(chan future.Promise[struct{}], 1)
	ran := make(chan error, 1)
	go func() {
		ran <- fiber.Run(context.Background(), func(ctx context.Context) error {
			ln, err := netpoll.Listen(ctx, "unix", filepath.Join(dir, "s"))
			if err != nil {
				started <- err
				return err
			}
			defer ln.Close()
			var clients []*netpoll.Conn
			defer func() {
				for _, c := range clients {
					c.Close()
				}
			}()
			g, gctx := fiber.NewGroup(ctx)
			for p := range ld.pairs {
				c, err := netpoll.Dial(gctx, "unix", ln.Addr().String())
				if err != nil {
					started <- err
					return err
				}
				clients = append(clients, c)
				s, err := ln.AcceptConn()
				if err != nil {
					started <- err
					return err
				}
				g.Go(func(ctx context.Context) error { defer s.Close(); return echoConn(s, ld.size) })
				if p < ld.active {
					g.Go(func(ctx context.Context) error { return pingConn(ld, p, c) })
				}
			}
			stop, promise := future.New[struct{}](fiber.Loop(ctx))
			stopper <- promise
			started <- nil
			if _, err := fiber.Await(ctx, stop); err != nil {
				return err
			}
			for _, c := range clients[ld.active:] {
				c.CloseWrite() // idle servers see end of file
			}
			return g.Wait()
		})
	}()
	if err := <-started; err != nil {
		<-ran
		os.RemoveAll(dir)
		return nil, err
	}
	promise := <-stopper
	return func() error {
		ld.stopping.Store(true) // active clients end after their round trip
		promise.Resolve(struct{}{})
		err := <-ran
		os.RemoveAll(dir)
		return err
	}, nil
}

// echoConn writes back every message it reads on c, until end of file.
func echoConn(c *netpoll.Conn, size int) error {
	buf := make([]byte, size)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
	}
}

// pingConn sends pair p's ping on c and reads the answer, until the load
// stops; then it half-closes c.
func pingConn(ld *load, p int, c *netpoll.Conn) error {
	msg, buf := ld.msg(p), make([]byte, ld.size)
	for !ld.stopping.Load() {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if err := ld.check(p, buf); err != nil {
			return err
		}
		ld.count()
	}
	return c.CloseWrite()
}
