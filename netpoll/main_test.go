//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"context"
	"io"
	"net"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
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
