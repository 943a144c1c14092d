//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

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

// countFDs returns how many file descriptors the process has open.
func countFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("counting fds: %v", err)
	}
	return len(ents)
}

// checkFDs fails t if the process holds more fds at the end of the test
// than at its start.
func checkFDs(t *testing.T) {
	t.Helper()
	before := countFDs(t)
	beforeList := fdList()
	t.Cleanup(func() {
		// A socket closed by a goroutine that just returned may take a
		// moment to leave the table.
		deadline := time.Now().Add(2 * time.Second)
		for {
			after := countFDs(t)
			if after <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("fds: %d before the test, %d after:\nbefore: %s\nafter:  %s", before, after, beforeList, fdList())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
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

// fdList describes the open fds, for a leak report.
func fdList() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"→"+target)
	}
	return strings.Join(out, " ")
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
