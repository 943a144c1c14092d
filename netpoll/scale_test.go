//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/netpoll"
)

// 5,000 connections open at once on each face, from clients of Go's net
// package in this process: 10,000 fds, within the 20,000 the tests may
// hold.

const (
	scaleConns   = 5000
	scaleWorkers = 32 // client goroutines at a time
)

// scaleParallel calls f(i) for i in [0, n) on scaleWorkers goroutines
// and returns the first errors (up to 5), joined.
func scaleParallel(n int, f func(i int) error) error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range scaleWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if len(errs) < 5 {
						errs = append(errs, fmt.Errorf("connection %d: %w", i, err))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// scaleClients opens n connections to addr and holds them all open; once
// opened (which waits for the server to have them all) returns, it echoes
// a message of its own on each, checks every byte, and closes them all;
// then it calls closed (which waits for the server to let them go).
func scaleClients(addr string, n int, opened, closed func() error) error {
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	d := &net.Dialer{Timeout: 10 * time.Second}
	if err := scaleParallel(n, func(i int) error {
		c, err := d.Dial("tcp", addr)
		conns[i] = c
		return err
	}); err != nil {
		return fmt.Errorf("dialling: %w", err)
	}
	if err := opened(); err != nil {
		return err
	}
	if err := scaleParallel(n, func(i int) error {
		c := conns[i]
		c.SetDeadline(time.Now().Add(20 * time.Second))
		msg := fmt.Appendf(nil, "connection %05d says %s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, i%300))
		return echoOnce(c, msg)
	}); err != nil {
		return fmt.Errorf("echoing: %w", err)
	}
	for i, c := range conns {
		c.Close()
		conns[i] = nil
	}
	return closed()
}

// scaleWait polls cond for up to 15 s.
func scaleWait(what string, cond func() bool) error {
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// The callback face, on a group of 2 loops: 5,000 connections open at
// once, each echoes, the Server accepted 5,000 and lets them all go.
func TestScale_Callback5000(t *testing.T) {
	fdtest.Check(t)
	start := time.Now()
	g := evGroup(t, 2)
	srv := evServe(t, g, evEcho{})
	err := scaleClients(srv.Addr().String(), scaleConns,
		func() error {
			return scaleWait(fmt.Sprintf("%d connections open", scaleConns), func() bool {
				return evSum(srv.Conns()) == scaleConns
			})
		},
		func() error {
			return scaleWait("the connections to close", func() bool { return evSum(srv.Conns()) == 0 })
		})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Accepted(); got != scaleConns {
		t.Errorf("Accepted() = %d, want %d", got, scaleConns)
	}
	t.Logf("%d connections in %v", scaleConns, time.Since(start))
}

// The fiber face, one fiber per connection on one loop: 5,000
// connections open at once, each echoes, the listener accepted 5,000 and
// every connection's fiber ends when its client closes.
func TestScale_Fiber5000(t *testing.T) {
	fdtest.Check(t)
	start := time.Now()
	var accepted, open atomic.Int64
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		// accepted and open are atomic, not serveConns' count: the client
		// goroutine polls them while the loop runs.
		stop := serveConns(ctx, ln, func(ctx context.Context, c *netpoll.Conn) {
			accepted.Add(1)
			open.Add(1)
			spawn(ctx, func(ctx context.Context) error {
				defer open.Add(-1)
				defer c.Close()
				return echo(c, 512)
			})
		})
		done := make(chan error, 1)
		go func() {
			done <- scaleClients(ln.Addr().String(), scaleConns,
				func() error {
					return scaleWait(fmt.Sprintf("%d connections accepted", scaleConns), func() bool {
						return accepted.Load() == scaleConns
					})
				},
				func() error {
					return scaleWait("the connections' fibers to end", func() bool { return open.Load() == 0 })
				})
		}()
		cerr, err := fiber.Blocking(ctx, func(context.Context) (error, error) { return <-done, nil })
		if err != nil {
			return err
		}
		if _, err := stop(); err != nil {
			return err
		}
		return cerr
	})
	if got := accepted.Load(); got != scaleConns {
		t.Errorf("accepted %d connections, want %d", got, scaleConns)
	}
	t.Logf("%d connections in %v", scaleConns, time.Since(start))
}
