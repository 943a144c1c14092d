package future_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// bbQuiet lets virtual time run d past now, by a sentinel timer, and
// returns l's Stats once the sentinel has fired. A timer that was left
// armed for earlier than that has fired by then and shows in Stats.Timers.
func bbQuiet(t testing.TB, l *loop.Loop, d time.Duration) loop.Stats {
	t.Helper()
	fired := make(chan struct{})
	looptest.On(t, l, func() { l.AfterFunc(d, func() { close(fired) }) })
	looptest.Recv(t, fired, "sentinel timer")
	return bbSettleStats(t, l)
}

// bbSettledAt arranges to record the loop time at which f settles and
// returns a func that reports it. Loop goroutine only, and in the task that
// made f: on virtual time, the loop jumps to its next timer as soon as it is
// idle, so a later task could find f settled long before.
func bbSettledAt[T any](t testing.TB, f *future.Future[T]) func() time.Duration {
	l := f.Loop()
	var at int64 = -1 // loop-owned
	f.OnSettled(func(T, error) { at = l.Now() })
	return func() time.Duration {
		t.Helper()
		var got int64
		looptest.On(t, l, func() { got = at })
		if got < 0 {
			t.Fatal("future has not settled")
		}
		return time.Duration(got)
	}
}

// ---- Timeout ----
//
// On virtual time the loop jumps to its next timer as soon as it is idle,
// so whatever must happen before a timer fires is done in the task that
// armed it (one looptest.On), never by a later call from the test goroutine.

func TestTimeout_SettlesLikeFInTime(t *testing.T) {
	t.Run("value", func(t *testing.T) {
		l := bbLoop(t)
		var out *future.Future[int]
		var at func() time.Duration
		looptest.On(t, l, func() {
			out = future.Timeout(future.Delay(l, time.Second, 42), 2*time.Second)
			at = bbSettledAt(t, out)
		})
		if v := bbValue(t, out); v != 42 {
			t.Fatalf("Timeout = %d, want 42", v)
		}
		if got := at(); got != time.Second {
			t.Fatalf("Timeout settled at %v, want 1s", got)
		}
		// Its timer was released: letting time run past 2s fires nothing
		// but the Delay's timer and the sentinel.
		s := bbQuiet(t, l, time.Hour)
		if s.Timers != 2 || s.TimersPending != 0 {
			t.Fatalf("timers fired %d, pending %d; want 2 and 0 (Timeout's timer was not stopped)", s.Timers, s.TimersPending)
		}
	})
	t.Run("error", func(t *testing.T) {
		l := bbLoop(t)
		var out *future.Future[int]
		var at func() time.Duration
		looptest.On(t, l, func() {
			f, p := future.New[int](l)
			out = future.Timeout(f, time.Minute)
			at = bbSettledAt(t, out)
			l.AfterFunc(time.Second, func() { p.Reject(errA) })
		})
		if _, err := bbWait(t, out); err != errA {
			t.Fatalf("Timeout = %v, want %v", err, errA)
		}
		if got := at(); got != time.Second {
			t.Fatalf("Timeout settled at %v, want 1s", got)
		}
		if s := bbQuiet(t, l, time.Hour); s.Timers != 2 || s.TimersPending != 0 {
			t.Fatalf("timers fired %d, pending %d; want 2 and 0", s.Timers, s.TimersPending)
		}
	})
	t.Run("made off the loop", func(t *testing.T) {
		// Real time: on virtual time the loop would jump to Timeout's own
		// timer before the Resolve below reached it.
		l := bbRealLoop(t)
		f, p := future.New[int](l)
		out := future.Timeout(f, time.Hour)
		p.Resolve(9)
		if v := bbValue(t, out); v != 9 {
			t.Fatalf("Timeout = %d, want 9", v)
		}
		if s := bbSettleStats(t, l); s.TimersPending != 0 {
			t.Fatalf("%d timers pending, want 0 (Timeout's timer was not stopped)", s.TimersPending)
		}
	})
	t.Run("already settled", func(t *testing.T) {
		l := bbLoop(t)
		var out *future.Future[string]
		looptest.On(t, l, func() { out = future.Timeout(future.Resolved(l, "x"), time.Second) })
		if v := bbValue(t, out); v != "x" {
			t.Fatalf("Timeout = %q, want x", v)
		}
		if s := bbSettleStats(t, l); s.TimersPending != 0 || l.Now() != 0 {
			t.Fatalf("%d timers pending, time %v; want 0 and 0", s.TimersPending, l.Now())
		}
	})
}

func TestTimeout_LateRejectsWithErrTimeout(t *testing.T) {
	l := bbLoop(t)
	var f, out *future.Future[int]
	var at, fat func() time.Duration
	looptest.On(t, l, func() {
		f = future.Delay(l, 3*time.Second, 1)
		out = future.Timeout(f, 2*time.Second)
		at, fat = bbSettledAt(t, out), bbSettledAt(t, f)
	})
	err := bbErr(t, out, future.ErrTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if got := at(); got != 2*time.Second {
		t.Fatalf("Timeout fired at %v, want 2s", got)
	}
	// Without WithCancelLosers, f goes on and settles in its own time.
	if v := bbValue(t, f); v != 1 {
		t.Fatalf("f = %d, want 1", v)
	}
	if got := fat(); got != 3*time.Second {
		t.Fatalf("f settled at %v, want 3s", got)
	}
	if v, err, _ := bbPeek(t, out); err != future.ErrTimeout {
		t.Fatalf("Timeout changed to (%v, %v) after f settled", v, err)
	}
}

func TestTimeout_WithCancelLosersCancelsF(t *testing.T) {
	l := bbLoop(t)
	var f, out *future.Future[int]
	looptest.On(t, l, func() {
		f = future.Delay(l, 3*time.Second, 1)
		out = future.Timeout(f, 2*time.Second, future.WithCancelLosers())
	})
	bbErr(t, out, future.ErrTimeout)
	if _, err, ok := bbPeek(t, f); !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("f: settled %v with %v, want rejected with context.Canceled", ok, err)
	}
	// f's Delay timer was stopped by the cancellation: only Timeout's
	// timer and the sentinel fire.
	if s := bbQuiet(t, l, time.Hour); s.Timers != 2 || s.TimersPending != 0 {
		t.Fatalf("timers fired %d, pending %d; want 2 and 0", s.Timers, s.TimersPending)
	}
}

func TestTimeout_CancellingTheResult(t *testing.T) {
	for _, cancelLosers := range []bool{false, true} {
		t.Run(fmt.Sprintf("WithCancelLosers=%v", cancelLosers), func(t *testing.T) {
			l := bbLoop(t)
			var opts []future.Option
			if cancelLosers {
				opts = append(opts, future.WithCancelLosers())
			}
			var f, out *future.Future[int]
			var p future.Promise[int]
			looptest.On(t, l, func() {
				f, p = future.New[int](l)
				out = future.Timeout(f, time.Second, opts...)
				l.AfterFunc(500*time.Millisecond, out.Cancel)
			})
			bbErr(t, out, context.Canceled)
			if cancelLosers {
				bbErr(t, f, context.Canceled)
			} else {
				bbPending(t, f, "f")
				p.Resolve(1)
			}
			// Timeout's timer was stopped with the result: only the
			// canceller and the sentinel fire.
			if s := bbQuiet(t, l, time.Hour); s.Timers != 2 || s.TimersPending != 0 {
				t.Fatalf("timers fired %d, pending %d; want 2 and 0", s.Timers, s.TimersPending)
			}
		})
	}
}

// ---- Delay ----

func TestDelay_FiresAtTheExactVirtualTime(t *testing.T) {
	l := bbLoop(t)
	var d *future.Future[string]
	var nested *future.Future[int]
	var at time.Time // loop-owned
	var nat func() time.Duration
	looptest.On(t, l, func() {
		d = future.Delay(l, 1500*time.Millisecond, "v")
		d.OnSettled(func(string, error) { at = l.Time() })
		// A Delay made by a reaction counts from the loop time of the
		// reaction.
		nested = future.FlatMap(future.Delay(l, time.Second, 0), func(int) *future.Future[int] {
			return future.Delay(l, 250*time.Millisecond, 7)
		})
		nat = bbSettledAt(t, nested)
	})
	if v := bbValue(t, d); v != "v" {
		t.Fatalf("Delay = %q, want v", v)
	}
	looptest.On(t, l, func() {
		if want := epoch.Add(1500 * time.Millisecond); !at.Equal(want) {
			t.Errorf("Delay fired at %v, want %v", at, want)
		}
	})
	if v := bbValue(t, nested); v != 7 {
		t.Fatalf("nested Delay = %d, want 7", v)
	}
	if got := nat(); got != 1250*time.Millisecond {
		t.Fatalf("nested Delay fired at %v, want 1.25s", got)
	}
}

// Made off the loop, a Delay counts from the loop time at which the loop
// takes the call (no other timer here, so the clock stands at 0).
func TestDelay_MadeOffTheLoop(t *testing.T) {
	l := bbLoop(t)
	d := future.Delay(l, 2*time.Second, 3)
	if v := bbValue(t, d); v != 3 {
		t.Fatalf("Delay = %d, want 3", v)
	}
	if now := time.Duration(l.Now()); now != 2*time.Second {
		t.Fatalf("loop time %v after a lone 2s Delay, want 2s", now)
	}
}

func TestDelay_ZeroAndNegative(t *testing.T) {
	l := bbLoop(t)
	for _, d := range []time.Duration{0, -time.Second} {
		if v := bbValue(t, future.Delay(l, d, 5)); v != 5 {
			t.Fatalf("Delay(%v) = %d, want 5", d, v)
		}
	}
	// Never within the call, even on the loop.
	looptest.On(t, l, func() {
		if _, _, ok := future.Delay(l, 0, 1).Result(); ok {
			t.Error("Delay(0) settled within the call")
		}
	})
}

func TestDelay_CancelStopsIt(t *testing.T) {
	t.Run("at once", func(t *testing.T) {
		l := bbLoop(t)
		var d *future.Future[int]
		looptest.On(t, l, func() {
			d = future.Delay(l, time.Second, 1)
			d.Cancel()
		})
		bbErr(t, d, context.Canceled)
		if s := bbQuiet(t, l, time.Hour); s.Timers != 1 || s.TimersPending != 0 {
			t.Fatalf("timers fired %d, pending %d; want 1 (the sentinel) and 0", s.Timers, s.TimersPending)
		}
	})
	t.Run("half way, by a timer", func(t *testing.T) {
		l := bbLoop(t)
		var d *future.Future[int]
		var at func() time.Duration
		looptest.On(t, l, func() {
			d = future.Delay(l, time.Second, 2)
			at = bbSettledAt(t, d)
			l.AfterFunc(500*time.Millisecond, d.Cancel)
		})
		bbErr(t, d, context.Canceled)
		if got := at(); got != 500*time.Millisecond {
			t.Fatalf("cancelled at %v, want 500ms", got)
		}
		if s := bbQuiet(t, l, time.Hour); s.Timers != 2 || s.TimersPending != 0 {
			t.Fatalf("timers fired %d, pending %d; want 2 and 0", s.Timers, s.TimersPending)
		}
	})
	t.Run("from another goroutine", func(t *testing.T) {
		l := bbRealLoop(t) // real time: the hour cannot pass first
		d := future.Delay(l, time.Hour, 3)
		done := make(chan struct{})
		go func() { defer close(done); d.Cancel() }()
		<-done
		bbErr(t, d, context.Canceled)
		if s := bbSettleStats(t, l); s.TimersPending != 0 {
			t.Fatalf("%d timers pending after the Delay was cancelled", s.TimersPending)
		}
	})
}

// ---- Retry ----

// retryRun is what a Retry did: when each attempt started (loop time) and
// how it ended.
type retryRun struct {
	starts []time.Duration
	value  int
	err    error
}

// delays returns the waits between attempts.
func (r retryRun) delays() []time.Duration {
	var ds []time.Duration
	for i := 1; i < len(r.starts); i++ {
		ds = append(ds, r.starts[i]-r.starts[i-1])
	}
	return ds
}

// bbRetry runs Retry on a fresh virtual-time loop with attempt wrapped to
// record each start, and waits for its result.
func bbRetry(t *testing.T, b future.Backoff, attempt func(l *loop.Loop, n int) *future.Future[int]) retryRun {
	t.Helper()
	l := bbLoop(t)
	var starts []time.Duration // loop-owned
	var wrong []int
	out := future.Retry(l, b, func(n int) *future.Future[int] {
		if !l.OnLoop() {
			panic("attempt called off the loop")
		}
		if n != len(starts)+1 {
			wrong = append(wrong, n)
		}
		starts = append(starts, time.Duration(l.Now()))
		return attempt(l, n)
	})
	v, err := bbWait(t, out)
	var r retryRun
	looptest.On(t, l, func() { r = retryRun{starts: slices.Clone(starts), value: v, err: err} })
	if len(wrong) > 0 {
		t.Fatalf("attempt numbers out of sequence: %v", wrong)
	}
	return r
}

// failUntil returns an attempt func that fails with errN(n) until attempt k,
// which succeeds with k*100.
func failUntil(k int) func(*loop.Loop, int) *future.Future[int] {
	return func(l *loop.Loop, n int) *future.Future[int] {
		if n < k {
			return future.Rejected[int](l, errN(n))
		}
		return future.Resolved(l, n*100)
	}
}

type attemptError int

func (e attemptError) Error() string { return fmt.Sprintf("attempt %d failed", int(e)) }

func errN(n int) error { return attemptError(n) }

func TestRetry_SucceedsOnAttemptK(t *testing.T) {
	for _, k := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			r := bbRetry(t, future.Backoff{Attempts: 5, Initial: time.Second}, failUntil(k))
			if r.err != nil || r.value != k*100 {
				t.Fatalf("Retry = (%d, %v), want (%d, nil)", r.value, r.err, k*100)
			}
			if len(r.starts) != k {
				t.Fatalf("%d attempts, want %d", len(r.starts), k)
			}
		})
	}
}

func TestRetry_GivesUpAfterAttemptsWithTheLastError(t *testing.T) {
	r := bbRetry(t, future.Backoff{Attempts: 4, Initial: time.Millisecond}, failUntil(100))
	if len(r.starts) != 4 {
		t.Fatalf("%d attempts, want 4", len(r.starts))
	}
	if !errors.Is(r.err, errN(4)) {
		t.Fatalf("Retry gave up with %v, want it to wrap the last error (%v)", r.err, errN(4))
	}
	for n := 1; n < 4; n++ {
		if errors.Is(r.err, errN(n)) {
			t.Errorf("Retry's error %v wraps the error of attempt %d", r.err, n)
		}
	}
	var ae attemptError
	if !errors.As(r.err, &ae) || ae != 4 {
		t.Fatalf("errors.As found %v, want attempt 4's error", ae)
	}
}

func TestRetry_ZeroBackoffMakesThreeAttempts(t *testing.T) {
	r := bbRetry(t, future.Backoff{}, failUntil(100))
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
	if len(r.starts) != 3 || !slices.Equal(r.delays(), want) {
		t.Fatalf("zero Backoff: attempts at %v, want 3 attempts %v apart", r.starts, want)
	}
	if !errors.Is(r.err, errN(3)) {
		t.Fatalf("Retry = %v, want it to wrap %v", r.err, errN(3))
	}
}

func TestRetry_RetryableFalseStopsAtOnce(t *testing.T) {
	permanent := errors.New("permanent")
	var asked []error
	b := future.Backoff{Attempts: 10, Retryable: func(err error) bool {
		asked = append(asked, err) // runs on the loop
		return !errors.Is(err, permanent)
	}}
	r := bbRetry(t, b, func(l *loop.Loop, n int) *future.Future[int] {
		if n == 2 {
			return future.Rejected[int](l, fmt.Errorf("attempt 2: %w", permanent))
		}
		return future.Rejected[int](l, errN(n))
	})
	if len(r.starts) != 2 {
		t.Fatalf("%d attempts, want 2 (the second error is not retryable)", len(r.starts))
	}
	if !errors.Is(r.err, permanent) {
		t.Fatalf("Retry = %v, want it to wrap %v", r.err, permanent)
	}
	if len(asked) != 2 || !errors.Is(asked[0], errN(1)) || !errors.Is(asked[1], permanent) {
		t.Fatalf("Retryable asked about %v", asked)
	}
}

func TestRetry_ContextCanceledIsNotRetriedByDefault(t *testing.T) {
	r := bbRetry(t, future.Backoff{Attempts: 5}, func(l *loop.Loop, n int) *future.Future[int] {
		return future.Rejected[int](l, fmt.Errorf("gave up: %w", context.Canceled))
	})
	if len(r.starts) != 1 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("%d attempts ending with %v, want 1 ending with context.Canceled", len(r.starts), r.err)
	}
	// Every other error is, DeadlineExceeded included.
	r = bbRetry(t, future.Backoff{Attempts: 3}, func(l *loop.Loop, n int) *future.Future[int] {
		return future.Rejected[int](l, context.DeadlineExceeded)
	})
	if len(r.starts) != 3 {
		t.Fatalf("%d attempts for context.DeadlineExceeded, want 3", len(r.starts))
	}
}

func TestRetry_DelaysFollowTheSchedule(t *testing.T) {
	cases := []struct {
		name string
		b    future.Backoff
		want []time.Duration
	}{
		{"x3 capped at 1s", future.Backoff{Attempts: 6, Initial: 100 * time.Millisecond, Multiplier: 3, Max: time.Second},
			[]time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond, time.Second, time.Second}},
		{"x1.5", future.Backoff{Attempts: 5, Initial: time.Second, Multiplier: 1.5},
			[]time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond}},
		{"default max 30s", future.Backoff{Attempts: 5, Initial: 10 * time.Second, Multiplier: 10},
			[]time.Duration{10 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"huge multiplier does not overflow", future.Backoff{Attempts: 4, Initial: time.Hour, Multiplier: math.MaxFloat64, Max: 2 * time.Hour},
			[]time.Duration{time.Hour, 2 * time.Hour, 2 * time.Hour}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bbRetry(t, c.b, failUntil(100))
			if got := r.delays(); !slices.Equal(got, c.want) {
				t.Fatalf("delays %v, want %v", got, c.want)
			}
		})
	}
}

// With Jitter j every delay d of the schedule is drawn from [d(1-j), d],
// and a seeded Rand repeats a run exactly.
func TestRetry_JitterIsBoundedAndReproducible(t *testing.T) {
	seed := bbSeed(t)
	for _, j := range []float64{0.5, 1, 0.1} {
		t.Run(fmt.Sprint(j), func(t *testing.T) {
			schedule := []time.Duration{}
			for d := 100 * time.Millisecond; len(schedule) < 9; d *= 2 {
				schedule = append(schedule, min(d, 5*time.Second))
			}
			run := func() []time.Duration {
				b := future.Backoff{
					Attempts: len(schedule) + 1, Initial: 100 * time.Millisecond, Max: 5 * time.Second,
					Jitter: j, Rand: rand.New(rand.NewPCG(seed, 3)),
				}
				return bbRetry(t, b, failUntil(100)).delays()
			}
			first, second := run(), run()
			if len(first) != len(schedule) {
				t.Fatalf("%d delays, want %d", len(first), len(schedule))
			}
			if !slices.Equal(first, second) {
				t.Fatalf("same seed, different delays:\n%v\n%v", first, second)
			}
			jittered := 0
			for i, got := range first {
				d := schedule[i]
				lo := time.Duration(float64(d) * (1 - j))
				if got < lo || got > d {
					t.Errorf("delay %d = %v, want within [%v, %v]", i+1, got, lo, d)
				}
				if got != d {
					jittered++
				}
			}
			if jittered == 0 {
				t.Errorf("Jitter %v changed none of the delays %v", j, first)
			}
		})
	}
}

// Jitter 1 ("full jitter") spreads delays uniformly over [0, d]: over 200
// draws the mean is near d/2 and both ends are reached. (For a correct
// implementation the chance of a false failure is below one in a million.)
func TestRetry_FullJitterIsUniform(t *testing.T) {
	seed := bbSeed(t)
	const draws = 200
	r := bbRetry(t, future.Backoff{
		Attempts: draws + 1, Initial: time.Second, Max: time.Second,
		Jitter: 1, Rand: rand.New(rand.NewPCG(seed, 5)),
	}, failUntil(math.MaxInt))
	ds := r.delays()
	if len(ds) != draws {
		t.Fatalf("%d delays, want %d", len(ds), draws)
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	mean := sum / draws
	lo, hi := slices.Min(ds), slices.Max(ds)
	if mean < 400*time.Millisecond || mean > 600*time.Millisecond || lo > 200*time.Millisecond || hi < 800*time.Millisecond {
		t.Fatalf("full jitter of 1s: mean %v, min %v, max %v; want a mean near 500ms and both ends reached", mean, lo, hi)
	}
}

func TestRetry_PanicInAttemptCountsAsAFailure(t *testing.T) {
	r := bbRetry(t, future.Backoff{Attempts: 3, Initial: time.Second}, func(l *loop.Loop, n int) *future.Future[int] {
		if n == 1 {
			panic("attempt one panics")
		}
		return future.Resolved(l, n)
	})
	if r.err != nil || r.value != 2 || len(r.starts) != 2 || r.starts[1] != time.Second {
		t.Fatalf("Retry = (%d, %v) after attempts at %v; want (2, nil) after attempts at 0 and 1s", r.value, r.err, r.starts)
	}

	r = bbRetry(t, future.Backoff{Attempts: 2, Initial: time.Second}, func(*loop.Loop, int) *future.Future[int] {
		panic("always")
	})
	var rec *panics.ErrRecovered
	if len(r.starts) != 2 || !errors.As(r.err, &rec) || rec.Value != "always" {
		t.Fatalf("Retry of a panicking attempt: %d attempts, error %v; want 2 and a *panics.ErrRecovered", len(r.starts), r.err)
	}
}

// Retryable is user code run on the loop: its panic must not stop the loop.
// Retry gives up, with both the attempt's error and the panic.
func TestRetry_PanicInRetryable(t *testing.T) {
	r := bbRetry(t, future.Backoff{Attempts: 3, Retryable: func(error) bool { panic("retryable blew up") }}, failUntil(100))
	if len(r.starts) != 1 {
		t.Fatalf("%d attempts, want 1", len(r.starts))
	}
	var rec *panics.ErrRecovered
	if !errors.As(r.err, &rec) || rec.Value != "retryable blew up" {
		t.Fatalf("Retry = %v, want it to carry Retryable's panic", r.err)
	}
	if !errors.Is(r.err, errN(1)) {
		t.Fatalf("Retry = %v, want it to wrap the attempt's error too", r.err)
	}
	// The loop goes on: looptest checks Run's error when the test ends.
}

func TestRetry_CancelStopsFurtherAttempts(t *testing.T) {
	t.Run("attempt in flight", func(t *testing.T) {
		l := bbLoop(t)
		var inFlight *future.Future[int] // loop-owned
		calls := 0
		started := make(chan struct{})
		out := future.Retry(l, future.Backoff{Attempts: -1, Initial: time.Second}, func(n int) *future.Future[int] {
			calls++
			if n == 1 {
				return future.Rejected[int](l, errN(n))
			}
			f, _ := future.New[int](l) // never settles by itself
			inFlight = f
			close(started)
			return f
		})
		looptest.Recv(t, started, "second attempt")
		out.Cancel()
		bbErr(t, out, context.Canceled)
		var f *future.Future[int]
		looptest.On(t, l, func() { f = inFlight })
		bbErr(t, f, context.Canceled)
		bbQuiet(t, l, time.Hour)
		looptest.On(t, l, func() {
			if calls != 2 {
				t.Errorf("%d attempts, want 2", calls)
			}
		})
	})
	t.Run("waiting between attempts", func(t *testing.T) {
		l := bbLoop(t)
		calls := 0
		var out *future.Future[int]
		var at func() time.Duration
		looptest.On(t, l, func() {
			out = future.Retry(l, future.Backoff{Attempts: -1, Initial: time.Second}, func(n int) *future.Future[int] {
				calls++
				return future.Rejected[int](l, errN(n))
			})
			at = bbSettledAt(t, out)
			// Attempts at 0 and 1s; the third would be at 3s.
			l.AfterFunc(2500*time.Millisecond, out.Cancel)
		})
		bbErr(t, out, context.Canceled)
		if got := at(); got != 2500*time.Millisecond {
			t.Fatalf("cancelled at %v, want 2.5s", got)
		}
		s := bbQuiet(t, l, time.Hour)
		looptest.On(t, l, func() {
			if calls != 2 { // at 0 and 1s; the next would be at 3s
				t.Errorf("%d attempts, want 2", calls)
			}
		})
		// The timer of the third attempt was stopped: what fired is the
		// wait before the second, the canceller and the sentinel.
		if s.Timers != 3 || s.TimersPending != 0 {
			t.Fatalf("timers fired %d, pending %d; want 3 and 0", s.Timers, s.TimersPending)
		}
	})
}

// An attempt that cancels the result (here directly; in practice through a
// reaction it triggers) has its own future cancelled too: it is the
// attempt in flight the moment it is returned.
func TestRetry_CancelledFromInsideAnAttempt(t *testing.T) {
	l := bbLoop(t)
	var out, second *future.Future[int] // loop-owned
	calls := 0
	looptest.On(t, l, func() {
		out = future.Retry(l, future.Backoff{Attempts: 5, Initial: time.Second}, func(n int) *future.Future[int] {
			calls++
			if n == 1 {
				return future.Rejected[int](l, errN(n))
			}
			out.Cancel()
			second, _ = future.New[int](l)
			return second
		})
	})
	bbErr(t, out, context.Canceled)
	var f *future.Future[int]
	looptest.On(t, l, func() { f = second })
	if f == nil {
		t.Fatal("no second attempt")
	}
	if _, err, ok := bbPeek(t, f); !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("the attempt that cancelled Retry: settled %v with %v, want context.Canceled", ok, err)
	}
	bbQuiet(t, l, time.Hour)
	looptest.On(t, l, func() {
		if calls != 2 {
			t.Errorf("%d attempts, want 2", calls)
		}
	})
}

// Attempts may be futures of another loop.
func TestRetry_AttemptsOnAnotherLoop(t *testing.T) {
	l2 := bbLoop(t)
	r := bbRetry(t, future.Backoff{Attempts: 4, Initial: time.Second}, func(_ *loop.Loop, n int) *future.Future[int] {
		if n < 3 {
			return future.Rejected[int](l2, errN(n))
		}
		return future.Resolved(l2, n)
	})
	if r.err != nil || r.value != 3 {
		t.Fatalf("Retry = (%d, %v), want (3, nil)", r.value, r.err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(r.delays(), want) {
		t.Fatalf("delays %v, want %v", r.delays(), want)
	}
}
