//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/netpoll"
)

// TestMain fails the run if any goroutine is left behind once every test
// has finished: a loop, an offload worker, a blocked writer. It first
// makes Go's own netpoller open its fds (an epoll fd and an eventfd, kept
// for the life of the process), so that checkFDs does not count them
// against the first test to use package net.
func TestMain(m *testing.M) {
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	goleak.VerifyTestMain(m)
}

// run runs main as a fiber program and fails t with its error.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	if err := fiber.Run(context.Background(), main); err != nil {
		t.Fatal(err)
	}
}

// spawn starts fn as a fiber and ignores its result value.
func spawn(ctx context.Context, fn func(ctx context.Context) error) func() error {
	f := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return func() error { _, err := fiber.Await(ctx, f); return err }
}

// echo copies what c reads back to it through a buffer of size bytes,
// until EOF (nil) or an error. For a fiber Conn in a fiber, or a net.Conn
// on a goroutine: io.Copy between TCP conns would splice through a pipe
// that package net keeps in a pool, which checkFDs would count as a leak.
func echo(c io.ReadWriter, size int) error {
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// netEcho echoes a net.Conn on a goroutine (see echo), ignoring errors.
func netEcho(c net.Conn) { _ = echo(c, 32<<10) }

// echoOnce writes msg to c and reads its echo back, checking every byte.
func echoOnce(c io.ReadWriter, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}

// serveConns accepts on ln from a fiber of its own and hands each Conn to
// handle on that fiber, which should start a fiber to serve it rather than
// serve it there. stop closes ln, waits for the accepting fiber and returns
// how many Conns it accepted, and its error: nil if it ended because ln
// closed.
func serveConns(ctx context.Context, ln *netpoll.Listener, handle func(ctx context.Context, c *netpoll.Conn)) (stop func() (accepted int, err error)) {
	accepted := 0
	serve := spawn(ctx, func(ctx context.Context) error {
		for {
			c, err := ln.AcceptConn()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return nil
				}
				return err
			}
			accepted++
			handle(ctx, c)
		}
	})
	return func() (int, error) {
		ln.Close()
		err := serve()
		return accepted, err
	}
}

// goClients runs client(i) for i in [0, n), each on a goroutine of its
// own (clients of Go's net package block their thread), and waits for them
// all from the fiber of ctx without blocking its loop. Each client's error
// fails t; goClients returns only an error of the wait itself.
func goClients(ctx context.Context, t *testing.T, n int, client func(i int) error) error {
	t.Helper()
	done := make(chan error, n)
	for i := range n {
		go func() { done <- client(i) }()
	}
	for range n {
		cerr, err := fiber.Blocking(ctx, func(context.Context) (error, error) { return <-done, nil })
		if err != nil {
			return err
		}
		if cerr != nil {
			t.Error(cerr)
		}
	}
	return nil
}
