//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/netpoll/poller"
	wsync "github.com/weftio/weft/sync"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "eventflags:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		if err := waiters(ctx, log); err != nil {
			return err
		}
		return fromIO(ctx, log)
	})
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return err
}

// waiters parks three fibers on one flag, sets it, clears it, and waits on
// it with a deadline.
func waiters(ctx context.Context, log func(string, ...any)) error {
	var ready wsync.Event // the zero Event is cleared
	g, gctx := fiber.NewGroup(ctx)
	for i := 1; i <= 3; i++ {
		g.Go(func(ctx context.Context) error {
			log("fiber %d: waiting for the flag", i)
			if err := ready.Wait(ctx); err != nil {
				return err
			}
			log("fiber %d: woke", i)
			return nil
		})
	}
	fiber.Yield(gctx) // let the three run up to their Wait
	log("main: IsSet() = %v; Set()", ready.IsSet())
	ready.Set()
	if err := g.Wait(); err != nil {
		return err
	}
	ready.Clear()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	log("main: Clear, then a wait with a 5 ms deadline: %v", ready.Wait(tctx))
	return nil
}

// flagger raises its flag when its fd becomes readable.
type flagger struct{ e *wsync.Event }

func (f flagger) Ready(poller.Events) { f.e.Set() }

// fromIO lets a pipe's readiness raise a flag that a fiber waits on.
func fromIO(ctx context.Context, log func(string, ...any)) error {
	r, wr, err := fds.Pipe(true)
	if err != nil {
		return err
	}
	defer fds.Close(r, wr)
	var dataReady wsync.Event
	l := fiber.Loop(ctx)
	if err := l.Register(r, poller.Readable, flagger{&dataReady}); err != nil {
		return err
	}
	defer l.Unregister(r)

	f := fiber.Go(ctx, func(ctx context.Context) (string, error) {
		if err := dataReady.Wait(ctx); err != nil {
			return "", err
		}
		buf := make([]byte, 64)
		n, err := unix.Read(r, buf) // the flag said there is data: this does not block
		return string(buf[:max(n, 0)]), err
	})
	fiber.Yield(ctx)
	if _, err := unix.Write(wr, []byte("hello")); err != nil {
		return err
	}
	got, err := fiber.Await(ctx, f)
	if err != nil {
		return err
	}
	log("a pipe's readiness callback raised the flag; the fiber waiting on it read %q", got)
	return nil
}
