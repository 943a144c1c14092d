//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// tourFutures runs pipelines of futures on the loop: many timers feeding
// Then and Map stages gathered by All, a long Then chain, a Retry with
// backoff and a Timeout, and checks each result. The futures are made by
// tasks on the loop, where every call acts at once; this goroutine only
// waits for the results.
func tourFutures(w io.Writer, l *loop.Loop, c config) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(c.seed, 1))

	// Pipelines: a Delay stands for I/O that answers at a random time.
	all := onLoop(l, func() *future.Future[[]int] {
		fs := make([]*future.Future[int], c.futures)
		for i := range fs {
			d := time.Duration(rng.Int64N(int64(c.spread)))
			sq := future.Then(future.Delay(l, d, i), func(v int) (int, error) { return v * v, nil })
			fs[i] = future.Map(sq, func(v int) int { return v % 1000 })
		}
		return future.All(l, fs)
	})
	vs, err := all.Wait(ctx)
	if err != nil {
		return err
	}
	var sum, want int
	for i, v := range vs {
		sum += v
		want += i * i % 1000
	}
	if sum != want {
		return fmt.Errorf("All: sum %d, want %d", sum, want)
	}
	fmt.Fprintf(w, "futures: All over %d Delay→Then→Map pipelines, values in input order, sum %d correct\n", len(vs), sum)

	// A chain of Thens, settled once at its head.
	tail := onLoop(l, func() *future.Future[int] {
		head, p := future.New[int](l)
		tail := head
		for range c.chain {
			tail = future.Then(tail, func(v int) (int, error) { return v + 1, nil })
		}
		p.Resolve(0)
		return tail
	})
	n, err := tail.Wait(ctx)
	if err != nil || n != c.chain {
		return fmt.Errorf("chain: %d, %v (want %d)", n, err, c.chain)
	}
	fmt.Fprintf(w, "  a chain of %d Thens settled through microtasks, on constant stack\n", n)

	// Retry a flaky operation; time the backoff on the loop's clock.
	var started []time.Duration
	var begin int64
	flaky := func(attempt int) *future.Future[string] {
		started = append(started, time.Duration(l.Now()-begin))
		if attempt < 3 {
			return future.Rejected[string](l, errors.New("busy"))
		}
		return future.Resolved(l, "ok")
	}
	b := future.Backoff{Attempts: 5, Initial: 2 * time.Millisecond, Max: 50 * time.Millisecond, Jitter: 0.5, Rand: rng}
	retry := onLoop(l, func() *future.Future[string] {
		begin = l.Now()
		return future.Retry(l, b, flaky)
	})
	if v, err := retry.Wait(ctx); err != nil || v != "ok" {
		return fmt.Errorf("retry: %q, %v", v, err)
	}
	fmt.Fprintf(w, "  Retry succeeded on attempt %d; attempts started at %v\n", len(started), roundAll(started))

	// A Timeout that fires, and one that does not.
	slow := future.Timeout(future.Delay(l, time.Hour, 0), 5*time.Millisecond, future.WithCancelLosers())
	if _, err := slow.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timeout: %v", err)
	}
	fast := future.Timeout(future.Delay(l, time.Millisecond, 7), time.Hour)
	if v, err := fast.Wait(ctx); err != nil || v != 7 {
		return fmt.Errorf("timeout: %d, %v", v, err)
	}
	fmt.Fprintln(w, "  Timeout rejected a 1 h Delay after 5 ms (and cancelled it), and let a 1 ms one through")
	return nil
}

// onLoop runs f in a task on l and returns what it returned.
func onLoop[T any](l *loop.Loop, f func() T) T {
	var v T
	_ = await(l, func(done func(error)) { v = f(); done(nil) })
	return v
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Microsecond)
	}
	return out
}
