//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/signal"
	wsync "github.com/weftio/weft/sync"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "signals:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)

		// Two subscribers to SIGUSR1: a callback, which the loop runs
		// as a task, and a stream, which a fiber receives from.
		var calls int
		var called wsync.Event
		cb, err := signal.Notify(l, func(ev signal.Event) {
			calls++
			log("callback: %v, on the loop: %v", ev.Signal, l.OnLoop())
			called.Set()
		}, unix.SIGUSR1)
		if err != nil {
			return err
		}
		defer cb.Stop()
		stream, err := signal.Subscribe(l, unix.SIGUSR1)
		if err != nil {
			return err
		}
		defer stream.Stop()
		bursts, err := signal.Subscribe(l, unix.SIGUSR2)
		if err != nil {
			return err
		}
		defer bursts.Stop()

		unix.Kill(unix.Getpid(), unix.SIGUSR1)
		ev, err := stream.Recv(ctx)
		if err != nil {
			return err
		}
		if err := called.Wait(ctx); err != nil {
			return err
		}
		log("fiber: Recv returned %v", ev.Signal)

		// A burst: the kernel and the relay merge what comes while one is
		// pending, and count what they saw.
		const burst = 10
		for range burst {
			unix.Kill(unix.Getpid(), unix.SIGUSR2)
		}
		events, total := 0, 0
		for {
			// The burst's last event follows its last signal; a quiet
			// 50 ms after an event ends the count.
			rctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			ev, err := bursts.Recv(rctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) && events > 0 {
				break
			}
			if err != nil {
				return err
			}
			events++
			total += ev.Count
		}
		log("a burst of %d SIGUSR2 came as %d event(s) counting %d deliveries: merged, not lost", burst, events, total)

		// Unsubscribe the callback: the next SIGUSR1 reaches the fiber
		// alone.
		cb.Stop()
		unix.Kill(unix.Getpid(), unix.SIGUSR1)
		if ev, err = stream.Recv(ctx); err != nil {
			return err
		}
		log("after the callback's Stop, %v reached the fiber alone: the callback ran %d time(s) in all", ev.Signal, calls)
		return nil
	})
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return err
}
