package future

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/timer"
)

// Delay returns a future of l fulfilled with v once d has elapsed on l's
// clock (virtual time included). Cancelling it stops its timer. Safe from
// any goroutine; besides the future and two closures it costs a loop timer
// (arming and stopping one: about 60 ns, BenchmarkLoop_AfterFuncStop).
func Delay[T any](l *loop.Loop, d time.Duration, v T) *Future[T] {
	f := newFuture[T](l)
	on(l, func() {
		t := l.AfterFunc(d, func() { f.settle(v, nil, 0) })
		f.onRelease(func() { t.Stop() })
	})
	return f
}

// Timeout returns a future of f's loop that settles like f if f settles
// within d, and is rejected with ErrTimeout (errors.Is(err,
// context.DeadlineExceeded) holds) otherwise. Its timer is stopped as soon
// as the result settles. With WithCancelLosers, f is cancelled when time
// runs out (or the result is cancelled). Safe from any goroutine.
func Timeout[T any](f *Future[T], d time.Duration, opts ...Option) *Future[T] {
	c := configure(opts)
	l := f.l
	out := newFuture[T](l)
	pc := callerPC(2) // the origin of a timeout nobody handles
	on(l, func() {
		t := l.AfterFunc(d, func() { out.settle(*new(T), ErrTimeout, pc) })
		out.onRelease(func() { t.Stop() })
		if c.cancelLosers {
			out.onRelease(f.Cancel)
		}
		out.follow(f)
	})
	return out
}

// Backoff says how Retry spaces its attempts. The zero value retries
// twice (three attempts in all) after 100 ms and then 200 ms, without
// jitter.
type Backoff struct {
	// Attempts is the most attempts in all, the first included: 0 means 3,
	// a negative number means no limit (until success, an error Retryable
	// refuses, or cancellation).
	Attempts int
	// Initial is the delay before the second attempt; 0 means 100 ms.
	Initial time.Duration
	// Max caps every delay; 0 means 30 s.
	Max time.Duration
	// Multiplier grows the delay after each failure; 0 means 2.
	Multiplier float64
	// Jitter, from 0 to 1, spreads retries that started together: each
	// delay d is drawn uniformly from [d·(1−Jitter), d]. 1 is "full
	// jitter", 0 none.
	Jitter float64
	// Retryable says whether an error is worth another attempt; nil
	// retries every error but context.Canceled. It runs on the loop; if
	// it panics, Retry gives up with the error and the panic.
	Retryable func(error) bool
	// Rand draws the jitter; nil uses math/rand/v2's global source. Give a
	// seeded one for runs that repeat.
	Rand *rand.Rand
}

// delay returns the wait before attempt n+1, after n failures (n ≥ 1).
func (b *Backoff) delay(n int) time.Duration {
	initial, maxd, mult := b.Initial, b.Max, b.Multiplier
	if initial <= 0 {
		initial = 100 * time.Millisecond
	}
	if maxd <= 0 {
		maxd = 30 * time.Second
	}
	if mult <= 0 {
		mult = 2
	}
	d := float64(initial) * math.Pow(mult, float64(n-1))
	d = min(d, float64(maxd)) // also clamps +Inf
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		r := rand.Float64()
		if b.Rand != nil {
			r = b.Rand.Float64()
		}
		d -= d * j * r
	}
	return time.Duration(d)
}

// giveUp is Retry's error after n attempts, the last failing with err.
func giveUp(n int, err error) error {
	if n == 1 {
		return fmt.Errorf("future: gave up after 1 attempt: %w", err)
	}
	return fmt.Errorf("future: gave up after %d attempts: %w", n, err)
}

func (b *Backoff) retryable(err error) bool {
	if b.Retryable != nil {
		return b.Retryable(err)
	}
	return !errors.Is(err, context.Canceled)
}

func (b *Backoff) attempts() int {
	switch {
	case b.Attempts == 0:
		return 3
	case b.Attempts < 0:
		return math.MaxInt
	}
	return b.Attempts
}

// Retry calls attempt(1) and, while the future it returns is rejected with
// an error b deems retryable and attempts remain, waits as b says and calls
// attempt with the next number. The result is fulfilled with the first
// success; when Retry gives up it is rejected with the last error, wrapped
// with the number of attempts (errors.Is sees through). A panic in attempt
// counts as a failed attempt. Cancelling the result stops the timer and
// cancels the attempt in flight. attempt runs on l. Safe from any
// goroutine.
func Retry[T any](l *loop.Loop, b Backoff, attempt func(n int) *Future[T]) *Future[T] {
	if attempt == nil {
		panic("future: Retry with a nil func")
	}
	out := newFuture[T](l)
	var (
		n     int
		cur   *Future[T]
		t     timer.Timer
		try   func()
		limit = b.attempts()
	)
	settled := func(_ int, v T, err error) {
		cur = nil
		if out.st != pending {
			return
		}
		if err == nil {
			out.settle(v, nil, 0)
			return
		}
		if n >= limit {
			out.settle(*new(T), giveUp(n, err), 0)
			return
		}
		// Retryable is user code on the loop: a panic gives up, with it.
		if retry, perr := call2(b.retryable, err); perr != nil || !retry {
			if perr != nil {
				err = fmt.Errorf("%w (Backoff.Retryable panicked: %w)", err, perr)
			}
			out.settle(*new(T), giveUp(n, err), 0)
			return
		}
		t = l.AfterFunc(b.delay(n), try)
	}
	try = func() {
		if out.st != pending {
			return
		}
		n++
		f, err := call2(attempt, n)
		if err == nil && f == nil {
			err = errors.New("future: Retry attempt returned a nil future")
		}
		if err != nil {
			settled(0, *new(T), err)
			return
		}
		if out.st != pending {
			// attempt cancelled the result while it ran: f is the attempt
			// in flight, and nothing will wait for it.
			f.Cancel()
			return
		}
		cur = f
		f.reactFrom(&joinNode[T]{src: f, l: l, on: settled})
	}
	on(l, func() {
		out.onRelease(func() {
			t.Stop()
			if cur != nil {
				cur.Cancel()
			}
		})
		try()
	})
	return out
}
