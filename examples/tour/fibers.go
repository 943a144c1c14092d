//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// tourFibers runs a program written top to bottom on a loop of its own
// (fiber.Run): a group of fibers that sleep, await each other's futures
// and yield, all on one goroutine, and checks what they computed.
func tourFibers(w io.Writer, _ *loop.Loop, c config) error {
	rng := rand.New(rand.NewPCG(c.seed, 2))
	delays := make([]time.Duration, c.fibers)
	for i := range delays {
		delays[i] = time.Duration(rng.Int64N(int64(c.spread)))
	}
	var (
		sum   int
		start = time.Now()
	)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		// Each fiber sleeps, then awaits the future of the one before it
		// and adds its own number: a chain of fibers through futures.
		prev := future.Resolved(fiber.Loop(ctx), 0)
		var last *future.Future[int]
		for i := range c.fibers {
			wait := prev
			i := i
			last = fiber.Go(ctx, func(ctx context.Context) (int, error) {
				if err := fiber.Sleep(ctx, delays[i]); err != nil {
					return 0, err
				}
				if err := fiber.Yield(ctx); err != nil {
					return 0, err
				}
				v, err := fiber.Await(ctx, wait)
				return v + i, err
			})
			prev = last
		}
		v, err := fiber.Await(ctx, last)
		sum = v
		return err
	})
	if err != nil {
		return err
	}
	if want := c.fibers * (c.fibers - 1) / 2; sum != want {
		return fmt.Errorf("fibers: sum %d, want %d", sum, want)
	}
	fmt.Fprintf(w, "fibers: %d fibers slept, yielded and awaited each other in a chain on one loop; sum %d correct (%v)\n",
		c.fibers, sum, time.Since(start).Round(time.Millisecond))
	return nil
}
