package future_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// bbPromises makes n pending futures of l and their promises.
func bbPromises[T any](l *loop.Loop, n int) ([]*future.Future[T], []future.Promise[T]) {
	fs := make([]*future.Future[T], n)
	ps := make([]future.Promise[T], n)
	for i := range n {
		fs[i], ps[i] = future.New[T](l)
	}
	return fs, ps
}

var (
	errA = errors.New("error a")
	errB = errors.New("error b")
	errC = errors.New("error c")
)

// ---- All ----

func TestAll_ValuesInInputOrderWhateverTheSettleOrder(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 5)
	all := future.All(l, fs)
	// Settle back to front, each in its own task; All must wait for the last.
	for i := len(ps) - 1; i >= 0; i-- {
		bbPending(t, all, "All before its last input settled")
		looptest.On(t, l, func() { ps[i].Resolve(i * 10) })
	}
	got := bbValue(t, all)
	if want := []int{0, 10, 20, 30, 40}; !slices.Equal(got, want) {
		t.Fatalf("All = %v, want %v", got, want)
	}
}

func TestAll_MixOfSettledAndPendingInputs(t *testing.T) {
	l := bbLoop(t)
	p1, q1 := future.New[string](l)
	fs := []*future.Future[string]{
		future.Resolved(l, "a"),
		p1,
		future.Resolved(l, "c"),
		future.Delay(l, 0, "d"),
	}
	var all *future.Future[[]string]
	looptest.On(t, l, func() { all = future.All(l, fs) }) // made on the loop
	q1.Resolve("b")                                       // settled from another goroutine
	if got, want := bbValue(t, all), []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("All = %q, want %q", got, want)
	}
}

// The caller may reuse its slice: All works on the inputs it was given.
func TestAll_CopiesItsInputSlice(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	all := future.All(l, fs)
	other, _ := future.New[int](l) // never settles
	fs[1] = other
	for i, p := range ps {
		p.Resolve(i + 1)
	}
	if got, want := bbValue(t, all), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("All = %v, want %v", got, want)
	}
}

// The first rejection in time wins, not the first in input order, and not
// the last.
func TestAll_FirstRejectionInTimeWins(t *testing.T) {
	for _, order := range [][]int{{2, 0, 1}, {0, 2, 1}, {1, 2, 0}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			l := bbLoop(t)
			errs := []error{errA, errB, errC}
			fs, ps := bbPromises[int](l, 3)
			all := future.All(l, fs)
			for _, i := range order {
				looptest.On(t, l, func() { ps[i].Reject(errs[i]) })
			}
			_, err := bbWait(t, all)
			if want := errs[order[0]]; err != want {
				t.Fatalf("All rejected with %v, want %v (the first to reject)", err, want)
			}
		})
	}
}

// A rejection settles All at once, even while other inputs are pending.
func TestAll_RejectsWithoutWaitingForTheRest(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	all := future.All(l, fs)
	ps[0].Resolve(1)
	ps[1].Reject(errB)
	bbErr(t, all, errB)
	bbPending(t, fs[2], "input 2")
	ps[2].Resolve(3) // changes nothing
	if _, err := bbWait(t, all); err != errB {
		t.Fatalf("All = %v after a late input settled, want %v", err, errB)
	}
}

func TestAll_EmptyGivesEmptyNonNilSlice(t *testing.T) {
	l := bbLoop(t)
	for _, fs := range [][]*future.Future[int]{nil, {}} {
		got := bbValue(t, future.All(l, fs))
		if got == nil || len(got) != 0 {
			t.Fatalf("All(%#v) = %#v, want an empty non-nil slice", fs, got)
		}
	}
	var got []int
	var ok bool
	looptest.On(t, l, func() {
		// On the loop, an empty All is settled within the call.
		got, _, ok = future.All[int](l, nil).Result()
	})
	if !ok || got == nil {
		t.Fatalf("All of none, on the loop: settled %v with %#v", ok, got)
	}
}

func TestAll_ThousandFutures(t *testing.T) {
	seed := bbSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	l := bbLoop(t)
	const n = 1000
	fs, ps := bbPromises[int](l, n)
	for i := range n {
		if rng.IntN(10) == 0 {
			fs[i] = future.Resolved(l, i) // some already settled
		}
	}
	all := future.All(l, fs)
	order := rng.Perm(n)
	// Settle in random order, partly on the loop, partly from goroutines.
	var wg sync.WaitGroup
	for k, i := range order {
		switch k % 3 {
		case 0:
			looptest.On(t, l, func() { ps[i].Resolve(i) })
		case 1:
			wg.Go(func() { ps[i].Resolve(i) })
		default:
			ps[i].Resolve(i)
		}
	}
	wg.Wait()
	got := bbValue(t, all)
	if len(got) != n {
		t.Fatalf("All over %d futures gave %d values", n, len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("All[%d] = %d, want %d", i, v, i)
		}
	}
}

// Inputs of another loop: their outcomes cross by Post, race-free (run
// with -race), and their order is kept.
func TestAll_InputsFromAnotherLoop(t *testing.T) {
	seed := bbSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	l1, l2 := bbLoop(t), bbLoop(t)
	const n = 64
	fs := make([]*future.Future[int], n)
	ps := make([]future.Promise[int], n)
	for i := range n {
		home := l1
		if i%2 == 1 {
			home = l2
		}
		fs[i], ps[i] = future.New[int](home)
	}
	all := future.All(l1, fs)
	if all.Loop() != l1 {
		t.Fatal("All's result does not belong to the loop it was given")
	}
	var wg sync.WaitGroup
	for _, i := range rng.Perm(n) {
		wg.Go(func() {
			if i%4 == 3 {
				// Settled on its own loop, by a task of that loop.
				_ = ps[i].Future().Loop().Post(func() { ps[i].Resolve(i * i) })
				return
			}
			ps[i].Resolve(i * i)
		})
	}
	wg.Wait()
	got := bbValue(t, all)
	for i, v := range got {
		if v != i*i {
			t.Fatalf("All[%d] = %d, want %d", i, v, i*i)
		}
	}

	// A rejection from the other loop, with the losers there cancelled.
	a, pa := future.New[int](l2)
	b, _ := future.New[int](l2)
	c, _ := future.New[int](l1)
	all = future.All(l1, []*future.Future[int]{a, b, c}, future.WithCancelLosers())
	pa.Reject(errA)
	bbErr(t, all, errA)
	bbErr(t, b, context.Canceled)
	bbErr(t, c, context.Canceled)
}

func TestAll_WithCancelLosersCancelsPendingInputs(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 4)
	ps[0].Resolve(0)
	all := future.All(l, fs, future.WithCancelLosers())
	looptest.On(t, l, func() { ps[2].Reject(errC) })
	bbErr(t, all, errC)
	// The cancellation happened when All settled, before its reactions ran.
	for _, i := range []int{1, 3} {
		_, err, ok := bbPeek(t, fs[i])
		if !ok || !errors.Is(err, context.Canceled) {
			t.Fatalf("input %d: settled %v with %v, want rejected with context.Canceled", i, ok, err)
		}
	}
	if v, err, _ := bbPeek(t, fs[0]); v != 0 || err != nil {
		t.Fatalf("input 0, fulfilled before, became (%v, %v)", v, err)
	}
	if _, err, _ := bbPeek(t, fs[2]); err != errC {
		t.Fatalf("input 2, rejected before, became %v", err)
	}
}

func TestAll_WithoutCancelLosersLeavesInputsPending(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	all := future.All(l, fs)
	ps[1].Reject(errB)
	bbErr(t, all, errB)
	looptest.On(t, l, func() {}) // a full turn later
	bbPending(t, fs[0], "input 0")
	bbPending(t, fs[2], "input 2")

	// Cancelling the result without the option leaves them alone too.
	fs, _ = bbPromises[int](l, 2)
	all = future.All(l, fs)
	all.Cancel()
	bbErr(t, all, context.Canceled)
	bbPending(t, fs[0], "input 0 of a cancelled All")
}

func TestAll_CancellingTheResultCancelsInputs(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	ps[1].Resolve(1)
	all := future.All(l, fs, future.WithCancelLosers())
	all.Cancel() // from the test goroutine
	bbErr(t, all, context.Canceled)
	bbErr(t, fs[0], context.Canceled)
	bbErr(t, fs[2], context.Canceled)
	if v := bbValue(t, fs[1]); v != 1 {
		t.Fatalf("input 1, fulfilled before, became %v", v)
	}
}

func TestAll_NilInputPanics(t *testing.T) {
	l := bbLoop(t)
	defer func() {
		if recover() == nil {
			t.Fatal("All with a nil input did not panic")
		}
	}()
	future.All(l, []*future.Future[int]{future.Resolved(l, 1), nil})
}

// ---- AllSettled ----

func TestAllSettled_ResultsInInputOrder(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[string](l, 4)
	fs = append(fs, future.Resolved(l, "already"))
	as := future.AllSettled(l, fs)
	looptest.On(t, l, func() { ps[3].Reject(errC) })
	looptest.On(t, l, func() { ps[1].Resolve("one") })
	looptest.On(t, l, func() { ps[0].Reject(errA) })
	bbPending(t, as, "AllSettled with an input pending")
	ps[2].Resolve("two")
	got := bbValue(t, as)
	want := []future.Result[string]{{Err: errA}, {Value: "one"}, {Value: "two"}, {Err: errC}, {Value: "already"}}
	if !slices.Equal(got, want) {
		t.Fatalf("AllSettled = %v, want %v", got, want)
	}
}

func TestAllSettled_AllRejectedIsStillFulfilled(t *testing.T) {
	l := bbLoop(t)
	l2 := bbLoop(t)
	fs := []*future.Future[int]{future.Rejected[int](l2, errA), future.Rejected[int](l, errB)}
	got := bbValue(t, future.AllSettled(l, fs))
	if want := []future.Result[int]{{Err: errA}, {Err: errB}}; !slices.Equal(got, want) {
		t.Fatalf("AllSettled = %v, want %v", got, want)
	}
}

func TestAllSettled_Empty(t *testing.T) {
	l := bbLoop(t)
	got := bbValue(t, future.AllSettled[int](l, nil))
	if got == nil || len(got) != 0 {
		t.Fatalf("AllSettled of none = %#v, want an empty non-nil slice", got)
	}
}

// ---- Any ----

func TestAny_FirstFulfilledInTimeWins(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 4)
	anyf := future.Any(l, fs)
	looptest.On(t, l, func() { ps[0].Reject(errA) }) // rejections do not settle Any
	bbPending(t, anyf, "Any after one rejection")
	looptest.On(t, l, func() { ps[3].Resolve(3) })
	looptest.On(t, l, func() { ps[1].Resolve(1) })
	if v := bbValue(t, anyf); v != 3 {
		t.Fatalf("Any = %d, want 3 (the first to be fulfilled)", v)
	}
	bbPending(t, fs[2], "input 2 of Any without WithCancelLosers")
}

func TestAny_AllRejectedGivesAnyErrorInInputOrder(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	anyf := future.Any(l, fs)
	errs := []error{errA, errB, fmt.Errorf("wrapped: %w", errC)}
	for _, i := range []int{2, 0, 1} { // not in input order
		looptest.On(t, l, func() { ps[i].Reject(errs[i]) })
	}
	_, err := bbWait(t, anyf)
	var ae *future.AnyError
	if !errors.As(err, &ae) {
		t.Fatalf("Any rejected with %T %v, want *future.AnyError", err, err)
	}
	if !slices.Equal(ae.Errs, errs) {
		t.Fatalf("AnyError.Errs = %v, want %v (input order)", ae.Errs, errs)
	}
	for _, target := range []error{errA, errB, errC} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v) = false", err, target)
		}
	}
	if errors.Is(err, context.Canceled) {
		t.Error("errors.Is(AnyError, context.Canceled) = true")
	}
	if msg := err.Error(); msg == "" {
		t.Error("AnyError.Error() is empty")
	}
}

func TestAny_EmptyRejectsWithAnyError(t *testing.T) {
	l := bbLoop(t)
	_, err := bbWait(t, future.Any[int](l, nil))
	var ae *future.AnyError
	if !errors.As(err, &ae) {
		t.Fatalf("Any of none rejected with %T %v, want *future.AnyError", err, err)
	}
	if len(ae.Errs) != 0 {
		t.Fatalf("AnyError.Errs = %v, want none", ae.Errs)
	}
	if ae.Error() == "" {
		t.Fatal("empty AnyError has no message")
	}
}

func TestAny_WithCancelLosers(t *testing.T) {
	l, l2 := bbLoop(t), bbLoop(t)
	a, pa := future.New[int](l)
	b, _ := future.New[int](l)
	c, _ := future.New[int](l2)
	anyf := future.Any(l, []*future.Future[int]{a, b, c}, future.WithCancelLosers())
	pa.Resolve(7)
	if v := bbValue(t, anyf); v != 7 {
		t.Fatalf("Any = %d, want 7", v)
	}
	bbErr(t, b, context.Canceled)
	bbErr(t, c, context.Canceled)
}

// ---- Race ----

func TestRace_FirstToSettleWins(t *testing.T) {
	t.Run("value", func(t *testing.T) {
		l := bbLoop(t)
		fs, ps := bbPromises[int](l, 3)
		race := future.Race(l, fs)
		looptest.On(t, l, func() { ps[2].Resolve(2) })
		looptest.On(t, l, func() { ps[0].Reject(errA) })
		if v := bbValue(t, race); v != 2 {
			t.Fatalf("Race = %d, want 2", v)
		}
		bbPending(t, fs[1], "loser without WithCancelLosers")
	})
	t.Run("error", func(t *testing.T) {
		l := bbLoop(t)
		fs, ps := bbPromises[int](l, 3)
		race := future.Race(l, fs)
		looptest.On(t, l, func() { ps[1].Reject(errB) })
		looptest.On(t, l, func() { ps[0].Resolve(0) })
		if _, err := bbWait(t, race); err != errB {
			t.Fatalf("Race = %v, want %v", err, errB)
		}
	})
	t.Run("timed", func(t *testing.T) {
		l := bbLoop(t)
		var race *future.Future[string]
		var at int64 // loop-owned
		// Made in one task: on virtual time, the loop jumps to its next
		// timer as soon as it is idle.
		looptest.On(t, l, func() {
			race = future.Race(l, []*future.Future[string]{
				future.Delay(l, 3*time.Second, "slow"),
				future.Delay(l, 1*time.Second, "fast"),
				future.Delay(l, 2*time.Second, "middle"),
			})
			race.OnSettled(func(string, error) { at = l.Now() })
		})
		if v := bbValue(t, race); v != "fast" {
			t.Fatalf("Race = %q, want fast", v)
		}
		looptest.On(t, l, func() {
			if at != int64(time.Second) {
				t.Errorf("Race settled at %v, want 1s", time.Duration(at))
			}
		})
	})
}

func TestRace_EmptyRejectsWithErrEmpty(t *testing.T) {
	l := bbLoop(t)
	bbErr(t, future.Race[int](l, nil), future.ErrEmpty)
}

func TestRace_WithCancelLosers(t *testing.T) {
	l, l2 := bbLoop(t), bbLoop(t)
	fs, ps := bbPromises[int](l, 3)
	far, _ := future.New[int](l2)
	fs = append(fs, far)
	race := future.Race(l, fs, future.WithCancelLosers())
	looptest.On(t, l, func() { ps[1].Reject(errB) })
	bbErr(t, race, errB)
	for _, i := range []int{0, 2, 3} {
		bbErr(t, fs[i], context.Canceled)
	}

	// Cancelling the result cancels the inputs too.
	gs, _ := bbPromises[int](l, 2)
	race = future.Race(l, gs, future.WithCancelLosers())
	race.Cancel()
	bbErr(t, race, context.Canceled)
	bbErr(t, gs[0], context.Canceled)
	bbErr(t, gs[1], context.Canceled)
}

// Race and Any over inputs already settled pick the earliest in the list,
// not the earliest to settle: their reactions run in registration order.
func TestRaceAny_AlreadySettledInListOrder(t *testing.T) {
	l := bbLoop(t)
	fs, ps := bbPromises[string](l, 2)
	var race, anyf *future.Future[string]
	looptest.On(t, l, func() {
		ps[1].Resolve("b") // settled first
		ps[0].Resolve("a")
		race = future.Race(l, fs)
		anyf = future.Any(l, fs)
	})
	if r, a := bbValue(t, race), bbValue(t, anyf); r != "a" || a != "a" {
		t.Fatalf("Race, Any over [a, b] with b settled first: %q, %q; want a and a", r, a)
	}
}
