package future_test

// Conformance tests derived from the Promises/A+ compliance suite
// (github.com/promises-aplus/promises-tests), section by section. The
// mapping from JavaScript:
//
//	promise.then(onFulfilled, onRejected)  Future.Then(onValue, onError), and the
//	                                       functions Then, Map, FlatMap, Catch,
//	                                       Finally and the method OnSettled
//	resolve(x), x not a promise            Promise.Resolve(x), Settle(x, nil)
//	reject(r)                              Promise.Reject(r), Settle(_, r)
//	resolve(x), x a promise                Promise.Follow(x), or FlatMap returning x
//	a thenable                             FromCallback
//	"throws e"                             returns e, or panics
//
// As in the suite, every case runs in three timing modes (apTiming): the
// future is already settled when the reactions are registered, it is
// settled later in the same task, or it is settled by a timer in a later
// turn. The loops run on virtual time, so no test sleeps.
//
// Helpers are prefixed with "ap" because the package's other test files are
// written independently.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// apTiming is when the future under test settles, relative to the task
// that registers its reactions.
type apTiming int

const (
	apAlready  apTiming = iota // settled before the reactions are registered
	apSameTurn                 // settled in the same task, after they are registered
	apLater                    // settled by a timer, in a later turn
)

var apTimings = [...]apTiming{apAlready, apSameTurn, apLater}

func (m apTiming) String() string {
	switch m {
	case apAlready:
		return "already-settled"
	case apSameTurn:
		return "settled-same-turn"
	default:
		return "settled-later-by-timer"
	}
}

const (
	apLaterDelay = 50 * time.Millisecond // on the loop's virtual clock
	apWaitLimit  = 10 * time.Second      // real time: fail instead of hanging
)

// apKit is one subtest's loop and bookkeeping.
type apKit struct {
	t         *testing.T
	l         *loop.Loop
	unhandled *collector
	done      chan struct{}

	// Loop goroutine only.
	events        []string
	open          int      // outstanding expectations; done closes at 0
	before, after []func() // hooks around the mode's settling call
}

// apNewKit starts a loop with virtual time for t, with unhandled
// rejections collected instead of logged.
func apNewKit(t *testing.T) *apKit {
	t.Helper()
	u := collectUnhandled(t, nil) // restored after the loop closes (cleanups run LIFO)
	l := looptest.Start(t, loop.WithVirtualTime(time.Unix(0, 0)))
	// Run has started: a loop closed before it starts makes Run, and so
	// the test, report ErrClosed.
	looptest.On(t, l, func() {})
	return &apKit{t: t, l: l, unhandled: u, done: make(chan struct{})}
}

// run runs f on the loop as a task. The kit is done once f has returned and
// every expectation it opened has been met.
func (k *apKit) run(f func()) {
	k.t.Helper()
	err := k.l.Post(func() {
		k.expect(1)
		f()
		k.met()
	})
	if err != nil {
		k.t.Fatal(err)
	}
}

// expect opens n expectations. Loop goroutine only.
func (k *apKit) expect(n int) { k.open += n }

// met closes one expectation. Loop goroutine only.
func (k *apKit) met() {
	k.open--
	if k.open == 0 {
		close(k.done)
	}
}

// wait waits until the kit is done.
func (k *apKit) wait() {
	k.t.Helper()
	select {
	case <-k.done:
	case <-time.After(apWaitLimit):
		k.t.Fatalf("timed out after %v: an expected reaction never ran", apWaitLimit)
	}
}

// later runs f on the loop d from now on its clock, as a task; the kit is
// not done before it has run. Loop goroutine only.
func (k *apKit) later(d time.Duration, f func()) {
	k.expect(1)
	k.l.AfterFunc(d, func() {
		f()
		k.met()
	})
}

// log records an event. Loop goroutine only.
func (k *apKit) log(format string, args ...any) {
	k.events = append(k.events, fmt.Sprintf(format, args...))
}

// logged returns the events, from the test goroutine.
func (k *apKit) logged() []string {
	var out []string
	looptest.On(k.t, k.l, func() { out = slices.Clone(k.events) })
	return out
}

// wantLog compares the events with want.
func (k *apKit) wantLog(want ...string) {
	k.t.Helper()
	if got := k.logged(); !slices.Equal(got, want) {
		k.t.Errorf("events:\n got %q\nwant %q", got, want)
	}
}

// beforeSettle and afterSettle add hooks that run right before and right
// after the call that settles the future under test, in its task. In the
// already-settled mode the settle happened before the body ran: there the
// before hooks are dropped and the after hooks run when the body returns,
// in the same task. Loop goroutine only.
func (k *apKit) beforeSettle(f func()) { k.before = append(k.before, f) }
func (k *apKit) afterSettle(f func())  { k.after = append(k.after, f) }

func (k *apKit) runHooks(hooks []func()) {
	for _, h := range hooks {
		h()
	}
}

// apRunModes runs body in each timing mode, as a subtest named after the
// mode, each on a fresh loop. body runs in a task on the loop with the
// future f under test and its promise p (the zero Promise if already made f
// settled, in the already-settled mode). settle settles f through p: before
// body (already settled; unless already is given, which makes f settled),
// right after body in the same task, or by a timer apLaterDelay later.
// final, if not nil, runs on the test goroutine once the kit is done.
func apRunModes[T any](
	t *testing.T,
	already func(l *loop.Loop) *future.Future[T],
	settle func(p future.Promise[T]),
	body func(k *apKit, f *future.Future[T], p future.Promise[T]),
	final func(k *apKit, f *future.Future[T]),
) {
	t.Helper()
	for _, m := range apTimings {
		t.Run(m.String(), func(t *testing.T) {
			k := apNewKit(t)
			var f *future.Future[T]
			k.run(func() {
				var p future.Promise[T]
				settleNow := func() {
					before, after := k.before, k.after
					k.before, k.after = nil, nil
					k.runHooks(before)
					settle(p)
					k.runHooks(after)
				}
				switch m {
				case apAlready:
					if already != nil {
						f = already(k.l)
					} else {
						f, p = future.New[T](k.l)
						settle(p)
					}
					body(k, f, p)
					k.before = nil
					after := k.after
					k.after = nil
					k.runHooks(after)
				case apSameTurn:
					f, p = future.New[T](k.l)
					body(k, f, p)
					settleNow()
				case apLater:
					f, p = future.New[T](k.l)
					body(k, f, p)
					k.later(apLaterDelay, settleNow)
				}
			})
			k.wait()
			if final != nil && !t.Failed() {
				final(k, f)
			}
		})
	}
}

// apFulfilled runs body in the three modes with a future fulfilled with v
// (made with Resolved when already settled), then checks that Wait, from
// the test goroutine, sees v.
func apFulfilled[T comparable](t *testing.T, v T, body func(k *apKit, f *future.Future[T])) {
	t.Helper()
	apRunModes(t,
		func(l *loop.Loop) *future.Future[T] { return future.Resolved(l, v) },
		func(p future.Promise[T]) { p.Resolve(v) },
		func(k *apKit, f *future.Future[T], _ future.Promise[T]) { body(k, f) },
		func(k *apKit, f *future.Future[T]) {
			if got, err := apWait(f); err != nil || got != v {
				k.t.Errorf("Wait: got (%v, %v), want (%v, nil)", got, err, v)
			}
		})
}

// apRejected is apFulfilled for a future rejected with reason (made with
// Rejected when already settled).
func apRejected[T any](t *testing.T, reason error, body func(k *apKit, f *future.Future[T])) {
	t.Helper()
	apRunModes(t,
		func(l *loop.Loop) *future.Future[T] { return future.Rejected[T](l, reason) },
		func(p future.Promise[T]) { p.Reject(reason) },
		func(k *apKit, f *future.Future[T], _ future.Promise[T]) { body(k, f) },
		func(k *apKit, f *future.Future[T]) {
			if _, err := apWait(f); err != reason {
				k.t.Errorf("Wait: got error %v, want %v", err, reason)
			}
		})
}

// apWait waits for f from the test goroutine.
func apWait[T any](f *future.Future[T]) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apWaitLimit)
	defer cancel()
	return f.Wait(ctx)
}

// apOutcome registers check as a reaction on f, counted as one of k's
// expectations. Loop goroutine only.
func apOutcome[T any](k *apKit, f *future.Future[T], check func(v T, err error)) {
	k.expect(1)
	f.OnSettled(func(v T, err error) {
		check(v, err)
		k.met()
	})
}

// apWantValue expects f to be fulfilled with want (== : the identical
// pointer, interface, error value).
func apWantValue[T comparable](k *apKit, name string, f *future.Future[T], want T) {
	apOutcome(k, f, func(v T, err error) {
		if err != nil || v != want {
			k.t.Errorf("%s: got (%v, %v), want (%v, nil)", name, v, err, want)
		}
	})
}

// apWantError expects f to be rejected with the identical error want.
func apWantError[T any](k *apKit, name string, f *future.Future[T], want error) {
	apOutcome(k, f, func(_ T, err error) {
		if err != want {
			k.t.Errorf("%s: got error %v, want %v", name, err, want)
		}
	})
}

// apWantCycle expects f to be rejected with ErrCycle.
func apWantCycle[T any](k *apKit, name string, f *future.Future[T]) {
	apOutcome(k, f, func(_ T, err error) { apCheckCycle(k.t, name, err) })
}

func apCheckCycle(t testing.TB, name string, err error) {
	t.Helper()
	if !errors.Is(err, future.ErrCycle) {
		t.Errorf("%s: got error %v, want future.ErrCycle", name, err)
		return
	}
	if msg := err.Error(); !strings.Contains(msg, "cycle") || !strings.Contains(msg, "itself") {
		t.Errorf("%s: error %q does not say it is a cycle", name, msg)
	}
}

// apWantPanic expects f to be rejected with the panic of the handler
// named fn (its stack must show that function), whose panic value was value.
func apWantPanic[T any](k *apKit, name string, f *future.Future[T], value any, fn string) {
	apOutcome(k, f, func(_ T, err error) { apCheckPanic(k.t, name, err, value, fn) })
}

func apCheckPanic(t testing.TB, name string, err error, value any, fn string) {
	t.Helper()
	var rec *panics.ErrRecovered
	if !errors.As(err, &rec) {
		t.Errorf("%s: got error %v (%T), want a *panics.ErrRecovered", name, err, err)
		return
	}
	if rec.Value != value {
		t.Errorf("%s: panic value %v, want %v", name, rec.Value, value)
	}
	if verr, ok := value.(error); ok && !errors.Is(err, verr) {
		t.Errorf("%s: errors.Is(err, %v) is false for a panic with that error", name, verr)
	}
	// The stack must be the panicking one: the runtime's panic frame with
	// the handler still under it, not the stack of some later recover.
	if !bytes.Contains(rec.Stack, []byte("panic(")) {
		t.Errorf("%s: the stack is not the one of the panic:\n%s", name, rec.Stack)
	}
	if fn != "" && !bytes.Contains(rec.Stack, []byte("future_test."+fn+"(")) {
		t.Errorf("%s: the panic's stack does not show %s:\n%s", name, fn, rec.Stack)
	}
}

// Values, zero values included: A+ 2.3.4 fulfils with any value that is not
// a future, and nil, false, 0 and "" are results like any other.
type apPayload struct{ n int }

var (
	apPtr    = &apPayload{n: 1}
	apErrVal = errors.New("an error that is a value, not a rejection")
)

// apEachValue runs a generic check, instantiated per type, on each value.
func apEachValue(t *testing.T,
	i func(*testing.T, int),
	s func(*testing.T, string),
	p func(*testing.T, *apPayload),
	a func(*testing.T, any),
	b func(*testing.T, bool),
	e func(*testing.T, error),
) {
	t.Run("int=0", func(t *testing.T) { i(t, 0) })
	t.Run("int=42", func(t *testing.T) { i(t, 42) })
	t.Run("string=empty", func(t *testing.T) { s(t, "") })
	t.Run("ptr", func(t *testing.T) { p(t, apPtr) })
	t.Run("ptr=nil", func(t *testing.T) { p(t, nil) })
	t.Run("any=nil", func(t *testing.T) { a(t, nil) })
	t.Run("any=ptr", func(t *testing.T) { a(t, apPtr) })
	t.Run("bool=false", func(t *testing.T) { b(t, false) })
	t.Run("bool=true", func(t *testing.T) { b(t, true) })
	t.Run("error-as-value", func(t *testing.T) { e(t, apErrVal) })
	t.Run("error-as-value=nil", func(t *testing.T) { e(t, nil) })
}

// apCustomErr is a reason of a pointer type, compared by identity.
type apCustomErr struct{ msg string }

func (e *apCustomErr) Error() string { return e.msg }

// apEachReason runs check with reasons of several kinds.
func apEachReason(t *testing.T, check func(t *testing.T, reason error)) {
	t.Run("sentinel", func(t *testing.T) { check(t, io.EOF) })
	t.Run("new", func(t *testing.T) { check(t, errors.New("reason")) })
	t.Run("wrapped", func(t *testing.T) { check(t, fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF)) })
	t.Run("pointer-type", func(t *testing.T) { check(t, &apCustomErr{"custom"}) })
	t.Run("canceled", func(t *testing.T) { check(t, context.Canceled) })
}

// ---------------------------------------------------------------------------
// 2.1 Promise states

// 2.1.2: a fulfilled future never changes state or value: every later
// settling call (Resolve, Reject, Settle, Follow, Cancel, in the same task
// or later) is ignored, and reactions before and after them see the value.
func TestAPlus2_1_2_FulfilledNeverChanges(t *testing.T) {
	apEachValue(t, apCheck212[int], apCheck212[string], apCheck212[*apPayload],
		apCheck212[any], apCheck212[bool], apCheck212[error])
}

func apCheck212[T comparable](t *testing.T, v T) {
	late := errors.New("late rejection")
	apRunModes(t, nil,
		func(p future.Promise[T]) { p.Resolve(v) },
		func(k *apKit, f *future.Future[T], p future.Promise[T]) {
			var zero T
			tryAll := func() {
				p.Reject(late)
				p.Settle(zero, late)
				p.Resolve(zero)
				p.Settle(zero, nil)
				p.Follow(future.Resolved(k.l, zero))
				p.Follow(f) // itself: no ErrCycle once settled
				pending, _ := future.New[T](k.l)
				p.Follow(pending)
				f.Cancel()
			}
			calls := 0
			apOutcome(k, f, func(got T, err error) {
				calls++
				if err != nil || got != v {
					k.t.Errorf("reaction: got (%v, %v), want (%v, nil)", got, err, v)
				}
			})
			k.afterSettle(func() {
				tryAll()
				apCheckResult(k, "right after the late settles", f, v, nil)
				k.later(apLaterDelay, func() {
					tryAll()
					apCheckResult(k, "after later settles", f, v, nil)
					apWantValue(k, "reaction registered after the late settles", f, v)
					k.later(apLaterDelay, func() {
						if calls != 1 {
							k.t.Errorf("reaction ran %d times, want once", calls)
						}
					})
				})
			})
		}, nil)
}

// 2.1.3: a rejected future never changes state or reason.
func TestAPlus2_1_3_RejectedNeverChanges(t *testing.T) {
	apEachValue(t, apCheck213[int], apCheck213[string], apCheck213[*apPayload],
		apCheck213[any], apCheck213[bool], apCheck213[error])
}

func apCheck213[T comparable](t *testing.T, v T) {
	reason := errors.New("the first reason")
	late := errors.New("late rejection")
	apRunModes(t, nil,
		func(p future.Promise[T]) { p.Reject(reason) },
		func(k *apKit, f *future.Future[T], p future.Promise[T]) {
			tryAll := func() {
				p.Resolve(v)
				p.Reject(late)
				p.Settle(v, nil)
				p.Settle(v, late)
				p.Follow(future.Resolved(k.l, v))
				p.Follow(f)
				f.Cancel()
			}
			calls := 0
			apOutcome(k, f, func(_ T, err error) {
				calls++
				if err != reason {
					k.t.Errorf("reaction: got error %v, want %v", err, reason)
				}
			})
			var zero T
			k.afterSettle(func() {
				tryAll()
				apCheckResult(k, "right after the late settles", f, zero, reason)
				k.later(apLaterDelay, func() {
					tryAll()
					apCheckResult(k, "after later settles", f, zero, reason)
					apWantError(k, "reaction registered after the late settles", f, reason)
					k.later(apLaterDelay, func() {
						if calls != 1 {
							k.t.Errorf("reaction ran %d times, want once", calls)
						}
					})
				})
			})
		}, nil)
}

// apCheckResult checks f.Result on the loop.
func apCheckResult[T comparable](k *apKit, name string, f *future.Future[T], v T, err error) {
	gv, gerr, ok := f.Result()
	if !ok || gv != v || gerr != err {
		k.t.Errorf("%s: Result() = (%v, %v, %v), want (%v, %v, true)", name, gv, gerr, ok, v, err)
	}
}

// 2.1.1: a pending future may become fulfilled or rejected; until then it
// reports pending, however many turns pass, and none of its reactions run
// (2.2.2.2 and 2.2.3.2 "never fulfilled/rejected").
func TestAPlus2_1_1_PendingStaysPendingUntilSettled(t *testing.T) {
	for _, settle := range []string{"never", "fulfil", "reject"} {
		t.Run(settle, func(t *testing.T) {
			k := apNewKit(t)
			reason := errors.New("reason")
			k.run(func() {
				f, p := future.New[int](k.l)
				ran := 0
				f.OnSettled(func(int, error) { ran++ })
				f.Then(func(v int) (int, error) { ran++; return v, nil }, func(err error) (int, error) { ran++; return 0, err })
				future.Catch(f, func(err error) (int, error) { ran++; return 0, nil })
				for i := 1; i <= 3; i++ {
					k.later(time.Duration(i)*apLaterDelay, func() {
						if _, _, ok := f.Result(); ok {
							k.t.Errorf("turn %d: pending future reports settled", i)
						}
						if ran != 0 {
							k.t.Errorf("turn %d: %d reactions ran on a pending future", i, ran)
						}
					})
				}
				k.later(4*apLaterDelay, func() {
					switch settle {
					case "fulfil":
						p.Resolve(0)
						apWantValue(k, "after fulfilling", f, 0)
					case "reject":
						p.Reject(reason)
						apWantError(k, "after rejecting", f, reason)
					}
					k.later(apLaterDelay, func() {
						// OnSettled and the method Then run either way,
						// Catch only for a rejection.
						want := map[string]int{"never": 0, "fulfil": 2, "reject": 3}[settle]
						if ran != want {
							k.t.Errorf("%d reactions ran, want %d", ran, want)
						}
					})
				})
			})
			k.wait()
		})
	}
}

// ---------------------------------------------------------------------------
// 2.2.1 Both handlers are optional; 2.2.7.3 and 2.2.7.4: a missing handler
// passes its side through to the derived future, unchanged.

func TestAPlus2_2_1_NilHandlersPassThrough(t *testing.T) {
	apEachValue(t, apCheck221[int], apCheck221[string], apCheck221[*apPayload],
		apCheck221[any], apCheck221[bool], apCheck221[error])
}

func apCheck221[T comparable](t *testing.T, v T) {
	t.Run("fulfilled", func(t *testing.T) {
		apFulfilled(t, v, func(k *apKit, f *future.Future[T]) {
			onError := func(err error) (T, error) {
				k.t.Errorf("onError called with %v for a fulfilled future", err)
				return v, nil
			}
			apWantValue(k, "Then(nil, nil)", f.Then(nil, nil), v)
			apWantValue(k, "Then(nil, onError)", f.Then(nil, onError), v)
			apWantValue(k, "Catch", future.Catch(f, onError), v)
			apWantValue(k, "Then(nil, nil).Then(nil, nil)", f.Then(nil, nil).Then(nil, nil), v)
		})
	})
	t.Run("rejected", func(t *testing.T) {
		reason := errors.New("reason")
		apRejected(t, reason, func(k *apKit, f *future.Future[T]) {
			called := func(name string) {
				k.t.Errorf("%s handler called for a rejected future", name)
			}
			apWantError(k, "Then(nil, nil)", f.Then(nil, nil), reason)
			apWantError(k, "Then(onValue, nil)",
				f.Then(func(x T) (T, error) { called("onValue"); return x, nil }, nil), reason)
			apWantError(k, "function Then",
				future.Then(f, func(T) (string, error) { called("Then"); return "", nil }), reason)
			apWantError(k, "Map", future.Map(f, func(T) int { called("Map"); return 1 }), reason)
			apWantError(k, "FlatMap",
				future.FlatMap(f, func(x T) *future.Future[T] { called("FlatMap"); return future.Resolved(k.l, x) }), reason)
			apWantError(k, "Then(nil, nil).Then(nil, nil)", f.Then(nil, nil).Then(nil, nil), reason)
		})
	})
}

// ---------------------------------------------------------------------------
// 2.2.2 onFulfilled: called after the future is fulfilled, with its value,
// never before, never more than once.

func TestAPlus2_2_2_OnValueCalledOnceWithValue(t *testing.T) {
	apEachValue(t, apCheck222[int], apCheck222[string], apCheck222[*apPayload],
		apCheck222[any], apCheck222[bool], apCheck222[error])
}

func apCheck222[T comparable](t *testing.T, v T) {
	late := errors.New("late rejection")
	apRunModes(t, nil,
		func(p future.Promise[T]) { p.Resolve(v) },
		func(k *apKit, f *future.Future[T], p future.Promise[T]) {
			var calls [8]int
			got := func(i int, name string, x T) {
				calls[i]++
				if x != v {
					k.t.Errorf("%s called with %v, want %v", name, x, v)
				}
			}
			onError := func(err error) (T, error) {
				k.t.Errorf("onError called with %v for a fulfilled future", err)
				return v, nil
			}
			apWantValue(k, "method Then",
				f.Then(func(x T) (T, error) { got(0, "method Then", x); return x, nil }, onError), v)
			apWantValue(k, "Then",
				future.Then(f, func(x T) (T, error) { got(1, "Then", x); return x, nil }), v)
			apWantValue(k, "Map", future.Map(f, func(x T) T { got(2, "Map", x); return x }), v)
			apWantValue(k, "FlatMap", future.FlatMap(f, func(x T) *future.Future[T] {
				got(3, "FlatMap", x)
				return future.Resolved(k.l, x)
			}), v)
			apOutcome(k, f, func(x T, err error) {
				got(4, "OnSettled", x)
				if err != nil {
					k.t.Errorf("OnSettled: error %v for a fulfilled future", err)
				}
			})
			apWantValue(k, "Finally", future.Finally(f, func() { calls[5]++ }), v)
			apWantValue(k, "Catch", future.Catch(f, onError), v)
			k.beforeSettle(func() {
				// 2.2.2.2: nothing ran before f was fulfilled, turns later.
				if calls != [8]int{} {
					k.t.Errorf("reactions ran before the future was fulfilled: %v", calls)
				}
				if _, _, ok := f.Result(); ok {
					k.t.Error("future settled before its settle call")
				}
			})
			k.afterSettle(func() {
				// 2.2.2.3: more settles, at once and later, run nothing
				// again; a reaction registered in between runs once.
				p.Resolve(v)
				p.Reject(late)
				p.Settle(v, late)
				apOutcome(k, f, func(x T, _ error) { got(6, "OnSettled registered between settles", x) })
				k.later(apLaterDelay, func() {
					p.Reject(late)
					p.Resolve(v)
					apWantValue(k, "method Then registered later",
						f.Then(func(x T) (T, error) { got(7, "method Then registered later", x); return x, nil }, nil), v)
					k.later(apLaterDelay, func() {
						for i, c := range calls {
							if c != 1 {
								k.t.Errorf("reaction %d ran %d times, want once", i, c)
							}
						}
					})
				})
			})
		}, nil)
}

// ---------------------------------------------------------------------------
// 2.2.3 onRejected: called after the future is rejected, with the
// identical reason, never before, never more than once.

func TestAPlus2_2_3_OnErrorCalledOnceWithReason(t *testing.T) {
	t.Run("int", func(t *testing.T) { apEachReason(t, apCheck223[int]) })
	t.Run("any", func(t *testing.T) { apEachReason(t, apCheck223[any]) })
	t.Run("ptr", func(t *testing.T) { apEachReason(t, apCheck223[*apPayload]) })
}

func apCheck223[T comparable](t *testing.T, reason error) {
	late := errors.New("late rejection")
	var zero T
	apRunModes(t, nil,
		func(p future.Promise[T]) { p.Reject(reason) },
		func(k *apKit, f *future.Future[T], p future.Promise[T]) {
			var calls [7]int
			got := func(i int, name string, err error) {
				calls[i]++
				if err != reason {
					k.t.Errorf("%s called with %v, want %v", name, err, reason)
				}
			}
			onValue := func(x T) (T, error) {
				k.t.Errorf("onValue called with %v for a rejected future", x)
				return x, nil
			}
			apWantValue(k, "method Then",
				f.Then(onValue, func(err error) (T, error) { got(0, "method Then", err); return zero, nil }), zero)
			apWantValue(k, "Catch",
				future.Catch(f, func(err error) (T, error) { got(1, "Catch", err); return zero, nil }), zero)
			apOutcome(k, f, func(x T, err error) {
				got(2, "OnSettled", err)
				if x != zero {
					k.t.Errorf("OnSettled: value %v for a rejected future, want the zero value", x)
				}
			})
			apWantError(k, "Finally", future.Finally(f, func() { calls[3]++ }), reason)
			apWantError(k, "method Then, error handler rethrows",
				f.Then(nil, func(err error) (T, error) { got(4, "method Then (rethrow)", err); return zero, err }), reason)
			k.beforeSettle(func() {
				if calls != [7]int{} {
					k.t.Errorf("reactions ran before the future was rejected: %v", calls)
				}
				if _, _, ok := f.Result(); ok {
					k.t.Error("future settled before its settle call")
				}
			})
			k.afterSettle(func() {
				p.Reject(late)
				p.Resolve(zero)
				p.Settle(zero, nil)
				apOutcome(k, f, func(_ T, err error) { got(5, "OnSettled registered between settles", err) })
				k.later(apLaterDelay, func() {
					p.Resolve(zero)
					p.Reject(late)
					apWantValue(k, "Catch registered later", future.Catch(f, func(err error) (T, error) {
						got(6, "Catch registered later", err)
						return zero, nil
					}), zero)
					k.later(apLaterDelay, func() {
						for i, c := range calls {
							if c != 1 {
								k.t.Errorf("reaction %d ran %d times, want once", i, c)
							}
						}
					})
				})
			})
		}, nil)
}

// ---------------------------------------------------------------------------
// 2.2.4 Handlers never run inside Then, inside the settling call, or inside
// the reaction that registered them: they are jobs on the loop's microtask
// queue, so they run once the current task (or microtask) has returned,
// and before the next task.

func TestAPlus2_2_4_NeverSynchronous(t *testing.T) {
	t.Run("fulfilled", func(t *testing.T) {
		apRunModes(t, nil,
			func(p future.Promise[int]) { p.Resolve(7) },
			func(k *apKit, f *future.Future[int], _ future.Promise[int]) {
				f.Then(func(v int) (int, error) { k.log("method Then"); return v, nil }, nil)
				future.Then(f, func(v int) (int, error) { k.log("Then"); return v, nil })
				future.Map(f, func(v int) int { k.log("Map"); return v })
				future.FlatMap(f, func(v int) *future.Future[int] { k.log("FlatMap"); return future.Resolved(k.l, v) })
				future.Finally(f, func() { k.log("Finally") })
				f.OnSettled(func(int, error) { k.log("OnSettled") })
				k.log("registered")
				k.afterSettle(func() {
					k.log("settle returned")
					k.later(0, func() { k.log("next task") })
				})
			},
			func(k *apKit, _ *future.Future[int]) {
				k.wantLog("registered", "settle returned",
					"method Then", "Then", "Map", "FlatMap", "Finally", "OnSettled", "next task")
			})
	})
	t.Run("rejected", func(t *testing.T) {
		reason := errors.New("reason")
		apRunModes(t, nil,
			func(p future.Promise[int]) { p.Reject(reason) },
			func(k *apKit, f *future.Future[int], _ future.Promise[int]) {
				f.Then(nil, func(err error) (int, error) { k.log("method Then"); return 0, nil })
				future.Catch(f, func(err error) (int, error) { k.log("Catch"); return 0, nil })
				future.Finally(f, func() { k.log("Finally") }).OnSettled(func(int, error) {})
				f.OnSettled(func(int, error) { k.log("OnSettled") })
				k.log("registered")
				k.afterSettle(func() {
					k.log("settle returned")
					k.later(0, func() { k.log("next task") })
				})
			},
			func(k *apKit, _ *future.Future[int]) {
				k.wantLog("registered", "settle returned", "method Then", "Catch", "Finally", "OnSettled", "next task")
			})
	})
}

// 2.2.4, the suite's nested cases: a reaction registered, or made due,
// inside another reaction runs only after that one has returned.
func TestAPlus2_2_4_NotInsideTheRegisteringReaction(t *testing.T) {
	apRunModes(t, nil,
		func(p future.Promise[int]) { p.Resolve(1) },
		func(k *apKit, f *future.Future[int], _ future.Promise[int]) {
			other := future.Resolved(k.l, 2)
			q, qp := future.New[int](k.l)
			follower, fp := future.New[int](k.l)
			q.OnSettled(func(int, error) { k.log("q's reaction") })
			follower.OnSettled(func(int, error) { k.log("follower's reaction") })
			f.OnSettled(func(int, error) {
				k.log("a starts")
				f.OnSettled(func(int, error) { k.log("b on the same future") })
				other.OnSettled(func(int, error) { k.log("c on another settled future") })
				qp.Resolve(3) // q's reaction is made due here
				fp.Follow(other)
				k.log("a returns")
			})
			k.afterSettle(func() { k.later(0, func() { k.log("next task") }) })
		},
		func(k *apKit, _ *future.Future[int]) {
			k.wantLog("a starts", "a returns",
				"b on the same future", "c on another settled future", "q's reaction",
				"follower's reaction", "next task")
		})
}

// 2.2.4 and 2.2.6, compared with JavaScript: each reaction is its own job
// on one FIFO queue (ECMAScript's PromiseReactionJob), shared with
// loop.Microtask as with queueMicrotask. Each case gives the JS program
// whose output is the expected order.
func TestAPlus2_2_4_JobOrderLikeJavaScript(t *testing.T) {
	cases := []struct {
		name string
		js   string
		run  func(k *apKit)
		want []string
	}{{
		name: "registered inside a reaction on the same future",
		js:   `p = Promise.resolve(); p.then(() => { log("a"); p.then(() => log("c")) }); p.then(() => log("b"))`,
		run: func(k *apKit) {
			p := future.Resolved(k.l, 0)
			p.OnSettled(func(int, error) { k.log("a"); p.OnSettled(func(int, error) { k.log("c") }) })
			p.OnSettled(func(int, error) { k.log("b") })
		},
		want: []string{"a", "b", "c"},
	}, {
		name: "registered on a settled future whose earlier reactions are still queued",
		js: `p1 = new Promise(r => r1 = r); p2 = new Promise(r => r2 = r);
		     p1.then(() => log("a1")); p1.then(() => log("a2")); p2.then(() => log("b1"));
		     r1(); r2(); p1.then(() => log("a3"))`,
		run: func(k *apKit) {
			p1, r1 := future.New[int](k.l)
			p2, r2 := future.New[int](k.l)
			p1.OnSettled(func(int, error) { k.log("a1") })
			p1.OnSettled(func(int, error) { k.log("a2") })
			p2.OnSettled(func(int, error) { k.log("b1") })
			r1.Resolve(1)
			r2.Resolve(2)
			p1.OnSettled(func(int, error) { k.log("a3") })
		},
		want: []string{"a1", "a2", "b1", "a3"},
	}, {
		name: "settle order, not registration order, orders two futures",
		js: `p1.then(() => log("a1")); p2.then(() => log("b1")); p1.then(() => log("a2"));
		     r2(); r1()`,
		run: func(k *apKit) {
			p1, r1 := future.New[int](k.l)
			p2, r2 := future.New[int](k.l)
			p1.OnSettled(func(int, error) { k.log("a1") })
			p2.OnSettled(func(int, error) { k.log("b1") })
			p1.OnSettled(func(int, error) { k.log("a2") })
			r2.Resolve(2)
			r1.Resolve(1)
		},
		want: []string{"b1", "a1", "a2"},
	}, {
		name: "derived futures interleave",
		js: `p = Promise.resolve(); p.then(() => log("a")).then(() => log("a'"));
		     p.then(() => log("b")).then(() => log("b'"))`,
		run: func(k *apKit) {
			p := future.Resolved(k.l, 0)
			future.Map(p, func(int) int { k.log("a"); return 0 }).OnSettled(func(int, error) { k.log("a'") })
			future.Map(p, func(int) int { k.log("b"); return 0 }).OnSettled(func(int, error) { k.log("b'") })
		},
		want: []string{"a", "b", "a'", "b'"},
	}, {
		name: "nested three deep",
		js: `p = Promise.resolve(); p.then(() => { log("a"); p.then(() => { log("b"); p.then(() => log("c")) }) });
		     p.then(() => log("d"))`,
		run: func(k *apKit) {
			p := future.Resolved(k.l, 0)
			p.OnSettled(func(int, error) {
				k.log("a")
				p.OnSettled(func(int, error) {
					k.log("b")
					p.OnSettled(func(int, error) { k.log("c") })
				})
			})
			p.OnSettled(func(int, error) { k.log("d") })
		},
		want: []string{"a", "d", "b", "c"},
	}, {
		name: "reaction registered inside a reaction on another future",
		js: `p1 = Promise.resolve(); p2 = Promise.resolve();
		     p1.then(() => { log("a"); p2.then(() => log("c")) }); p2.then(() => log("b"))`,
		run: func(k *apKit) {
			p1 := future.Resolved(k.l, 1)
			p2 := future.Resolved(k.l, 2)
			p1.OnSettled(func(int, error) { k.log("a"); p2.OnSettled(func(int, error) { k.log("c") }) })
			p2.OnSettled(func(int, error) { k.log("b") })
		},
		want: []string{"a", "b", "c"},
	}, {
		name: "reactions and plain microtasks share one queue",
		js:   `p.then(() => log("a")); queueMicrotask(() => log("m1")); r(); queueMicrotask(() => log("m2"))`,
		run: func(k *apKit) {
			p, r := future.New[int](k.l)
			p.OnSettled(func(int, error) { k.log("a") })
			k.l.Microtask(func() { k.log("m1") })
			r.Resolve(0)
			k.l.Microtask(func() { k.log("m2") })
		},
		want: []string{"m1", "a", "m2"},
	}, {
		name: "a rejection takes one job per link",
		js: `p = Promise.reject(e); p.then(() => log("never")).catch(() => log("c1"));
		     p.catch(() => log("c2"))`,
		run: func(k *apKit) {
			p := future.Rejected[int](k.l, io.EOF)
			future.Catch(future.Map(p, func(int) int { k.log("never"); return 0 }),
				func(error) (int, error) { k.log("c1"); return 0, nil })
			future.Catch(p, func(error) (int, error) { k.log("c2"); return 0, nil })
		},
		want: []string{"c2", "c1"},
	}, {
		name: "every reaction runs before the next task",
		js: `setTimeout(() => log("task"), 0); p = Promise.resolve();
		     p.then(() => { log("a"); p.then(() => log("b")) })`,
		run: func(k *apKit) {
			k.later(0, func() { k.log("task") })
			p := future.Resolved(k.l, 0)
			p.OnSettled(func(int, error) { k.log("a"); p.OnSettled(func(int, error) { k.log("b") }) })
		},
		want: []string{"a", "b", "task"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := apNewKit(t)
			k.run(func() { c.run(k) })
			k.wait()
			if got := k.logged(); !slices.Equal(got, c.want) {
				t.Errorf("order %q, want %q, as in JavaScript:\n%s", got, c.want, c.js)
			}
		})
	}
}

// 2.2.5 (handlers are called as functions, with no this value) has no
// counterpart: a Go func value carries no receiver to get wrong.

// ---------------------------------------------------------------------------
// 2.2.6 Then may be called many times on one future: the reactions run in
// registration order, each once, also those registered by a reaction; an
// error or panic in one does not affect the others or their futures.

func TestAPlus2_2_6_RegistrationOrderAndIsolation(t *testing.T) {
	t.Run("fulfilled", func(t *testing.T) {
		t.Run("int=0", func(t *testing.T) { apCheck226Fulfilled(t, 0) })
		t.Run("ptr", func(t *testing.T) { apCheck226Fulfilled(t, apPtr) })
		t.Run("any=nil", func(t *testing.T) { apCheck226Fulfilled[any](t, nil) })
	})
	t.Run("rejected", func(t *testing.T) {
		t.Run("int", func(t *testing.T) { apCheck226Rejected[int](t, 5) })
		t.Run("string", func(t *testing.T) { apCheck226Rejected(t, "recovered") })
	})
}

func apCheck226Fulfilled[T comparable](t *testing.T, v T) {
	errB := errors.New("handler b failed")
	apFulfilledWithPromise(t, v,
		func(k *apKit, f *future.Future[T]) {
			ra := f.Then(func(x T) (T, error) {
				k.log("a")
				nested := f.Then(func(x T) (T, error) {
					k.log("nested")
					f.OnSettled(func(T, error) { k.log("nested in nested") })
					return x, nil
				}, nil)
				apWantValue(k, "nested", nested, v)
				return x, nil
			}, nil)
			rb := future.Then(f, func(T) (int, error) { k.log("b"); return 1, errB })
			rc := future.Map(f, func(T) int { k.log("c"); panic("handler c") })
			f.OnSettled(func(T, error) { k.log("d"); panic("handler d") })
			re := future.Finally(f, func() { k.log("e") })
			rf := future.FlatMap(f, func(x T) *future.Future[T] { k.log("f"); return future.Resolved(k.l, x) })
			rg := future.Map(f, func(x T) T { k.log("g"); return x })
			apWantValue(k, "a", ra, v)
			apWantError(k, "b", rb, errB)
			apWantPanic(k, "c", rc, "handler c", "")
			apWantValue(k, "e", re, v)
			apWantValue(k, "f", rf, v)
			apWantValue(k, "g", rg, v)
		},
		func(k *apKit) {
			k.wantLog("a", "b", "c", "d", "e", "f", "g", "nested", "nested in nested")
			apWantReactionPanic(k.t, k.unhandled, "handler d")
		})
}

func apCheck226Rejected[T comparable](t *testing.T, v T) {
	reason := errors.New("reason")
	errB := errors.New("handler b failed")
	var zero T
	apRejectedWithKit(t, reason,
		func(k *apKit, f *future.Future[T]) {
			ra := f.Then(nil, func(err error) (T, error) {
				k.log("a")
				nested := future.Catch(f, func(err error) (T, error) {
					k.log("nested")
					f.OnSettled(func(T, error) { k.log("nested in nested") })
					return v, nil
				})
				apWantValue(k, "nested", nested, v)
				return zero, err
			})
			rb := future.Catch(f, func(error) (T, error) { k.log("b"); return v, errB })
			rc := f.Then(nil, func(error) (T, error) { k.log("c"); panic("handler c") })
			f.OnSettled(func(T, error) { k.log("d"); panic("handler d") })
			rNot := future.Then(f, func(T) (T, error) { k.log("not run: f is rejected"); return v, nil })
			re := future.Finally(f, func() { k.log("e") })
			rf := future.Catch(f, func(error) (T, error) { k.log("f"); return v, nil })
			apWantError(k, "a", ra, reason)
			apWantError(k, "b", rb, errB)
			apWantPanic(k, "c", rc, "handler c", "")
			apWantError(k, "Then", rNot, reason)
			apWantError(k, "e", re, reason)
			apWantValue(k, "f", rf, v)
		},
		func(k *apKit) {
			k.wantLog("a", "b", "c", "d", "e", "f", "nested", "nested in nested")
			apWantReactionPanic(k.t, k.unhandled, "handler d")
		})
}

// apFulfilledWithPromise is apFulfilled with a final check that has the kit.
func apFulfilledWithPromise[T comparable](t *testing.T, v T, body func(k *apKit, f *future.Future[T]), final func(k *apKit)) {
	t.Helper()
	apRunModes(t,
		func(l *loop.Loop) *future.Future[T] { return future.Resolved(l, v) },
		func(p future.Promise[T]) { p.Resolve(v) },
		func(k *apKit, f *future.Future[T], _ future.Promise[T]) { body(k, f) },
		func(k *apKit, _ *future.Future[T]) { final(k) })
}

// apRejectedWithKit is apRejected with a final check that has the kit.
func apRejectedWithKit[T any](t *testing.T, reason error, body func(k *apKit, f *future.Future[T]), final func(k *apKit)) {
	t.Helper()
	apRunModes(t,
		func(l *loop.Loop) *future.Future[T] { return future.Rejected[T](l, reason) },
		func(p future.Promise[T]) { p.Reject(reason) },
		func(k *apKit, f *future.Future[T], _ future.Promise[T]) { body(k, f) },
		func(k *apKit, _ *future.Future[T]) { final(k) })
}

// apWantReactionPanic expects exactly one OnSettled panic, with value, to
// have been reported.
func apWantReactionPanic(t *testing.T, u *collector, value any) {
	t.Helper()
	var found []future.Unhandled
	for _, x := range u.reports() {
		if x.When == "reaction panicked" {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		t.Errorf("%d reaction panics reported, want 1: %v", len(found), found)
		return
	}
	var rec *panics.ErrRecovered
	if !errors.As(found[0].Err, &rec) || rec.Value != value {
		t.Errorf("reported reaction panic %v, want a *panics.ErrRecovered of %v", found[0].Err, value)
	}
}

// ---------------------------------------------------------------------------
// 2.2.7 Then returns a new future: fulfilled with the handler's value,
// rejected with its error or its panic; a missing handler passes through
// (2.2.7.3, 2.2.7.4: TestAPlus2_2_1_NilHandlersPassThrough).

// 2.2.7: the derived future is a new one, and pending when Then returns,
// even on a settled future.
func TestAPlus2_2_7_ReturnsNewPendingFuture(t *testing.T) {
	check := func(k *apKit, name string, derived, src *future.Future[int]) {
		if derived == src {
			k.t.Errorf("%s returned its source future", name)
		}
		if _, _, ok := derived.Result(); ok {
			k.t.Errorf("%s returned a settled future", name)
		}
		apOutcome(k, derived, func(int, error) {})
	}
	body := func(k *apKit, f *future.Future[int]) {
		check(k, "Then(nil, nil)", f.Then(nil, nil), f)
		check(k, "Then(onValue, onError)", f.Then(
			func(v int) (int, error) { return v, nil },
			func(err error) (int, error) { return 0, err }), f)
		check(k, "Catch", future.Catch(f, func(err error) (int, error) { return 0, err }), f)
		check(k, "Finally", future.Finally(f, func() {}), f)
		check(k, "function Then", future.Then(f, func(v int) (int, error) { return v, nil }), f)
		check(k, "Map", future.Map(f, func(v int) int { return v }), f)
		check(k, "FlatMap", future.FlatMap(f, func(v int) *future.Future[int] { return f }), f)
		if a, b := f.Then(nil, nil), f.Then(nil, nil); a == b {
			k.t.Error("two Thens returned the same future")
		} else {
			apOutcome(k, a, func(int, error) {})
			apOutcome(k, b, func(int, error) {})
		}
	}
	t.Run("fulfilled", func(t *testing.T) { apFulfilled(t, 3, body) })
	t.Run("rejected", func(t *testing.T) { apRejected(t, io.EOF, body) })
}

// 2.2.7.1: a handler's value fulfils the derived future, also when the
// handler is onError (recovery), and whatever the type.
func TestAPlus2_2_7_1_HandlerValueFulfils(t *testing.T) {
	apEachValue(t, apCheck2271[int], apCheck2271[string], apCheck2271[*apPayload],
		apCheck2271[any], apCheck2271[bool], apCheck2271[error])
}

func apCheck2271[T comparable](t *testing.T, v T) {
	t.Run("from a value", func(t *testing.T) {
		apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
			apWantValue(k, "function Then", future.Then(f, func(int) (T, error) { return v, nil }), v)
			apWantValue(k, "Map", future.Map(f, func(int) T { return v }), v)
			apWantValue(k, "FlatMap of Resolved", future.FlatMap(f, func(int) *future.Future[T] { return future.Resolved(k.l, v) }), v)
			same := future.Map(f, func(int) T { var zero T; return zero })
			apWantValue(k, "method Then", same.Then(func(T) (T, error) { return v, nil }, nil), v)
		})
	})
	t.Run("from an error", func(t *testing.T) {
		apRejected(t, io.EOF, func(k *apKit, f *future.Future[T]) {
			apWantValue(k, "method Then onError", f.Then(nil, func(error) (T, error) { return v, nil }), v)
			apWantValue(k, "Catch", future.Catch(f, func(error) (T, error) { return v, nil }), v)
		})
	})
}

// 2.2.7.2: a handler's error rejects the derived future with that
// identical error; so does a handler that settles with a value and an
// error (the value is dropped).
func TestAPlus2_2_7_2_HandlerErrorRejects(t *testing.T) {
	apEachReason(t, func(t *testing.T, e error) {
		t.Run("fulfilled", func(t *testing.T) {
			apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
				apWantError(k, "method Then onValue", f.Then(func(v int) (int, error) { return v, e }, nil), e)
				apWantError(k, "function Then", future.Then(f, func(int) (string, error) { return "dropped", e }), e)
				apWantError(k, "FlatMap of Rejected", future.FlatMap(f, func(int) *future.Future[string] {
					return future.Rejected[string](k.l, e)
				}), e)
			})
		})
		t.Run("rejected", func(t *testing.T) {
			apRejected(t, errors.New("original"), func(k *apKit, f *future.Future[int]) {
				apWantError(k, "method Then onError", f.Then(nil, func(error) (int, error) { return 2, e }), e)
				apWantError(k, "Catch", future.Catch(f, func(error) (int, error) { return 0, e }), e)
			})
		})
	})
}

// Handlers that panic, by name: the tests check that the panic's stack
// shows them. They are called through func values, so never inlined away.
var apErrPanic = errors.New("panicked with an error")

func apPanicOnValue(int) (int, error)           { panic("apPanicOnValue") }
func apPanicOnError(error) (int, error)         { panic("apPanicOnError") }
func apPanicThen(int) (string, error)           { panic(apErrPanic) }
func apPanicMap(int) string                     { panic("apPanicMap") }
func apPanicFlatMap(int) *future.Future[string] { panic("apPanicFlatMap") }
func apPanicCatch(error) (int, error)           { panic(apErrPanic) }
func apPanicFinally()                           { panic("apPanicFinally") }

// 2.2.7.2, "throws": a handler's panic rejects the derived future with a
// *panics.ErrRecovered that carries the panic value (errors.Is sees an
// error value through it) and the stack of the panic, naming the handler.
func TestAPlus2_2_7_2_HandlerPanicRejects(t *testing.T) {
	t.Run("fulfilled", func(t *testing.T) {
		apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
			apWantPanic(k, "method Then onValue", f.Then(apPanicOnValue, apPanicOnError), "apPanicOnValue", "apPanicOnValue")
			apWantPanic(k, "function Then", future.Then(f, apPanicThen), apErrPanic, "apPanicThen")
			apWantPanic(k, "Map", future.Map(f, apPanicMap), "apPanicMap", "apPanicMap")
			apWantPanic(k, "FlatMap", future.FlatMap(f, apPanicFlatMap), "apPanicFlatMap", "apPanicFlatMap")
			apWantPanic(k, "Finally", future.Finally(f, apPanicFinally), "apPanicFinally", "apPanicFinally")
			// The next link passes the panic on unchanged.
			apOutcome(k, future.Map(future.Map(f, apPanicMap), func(string) int { return 0 }), func(_ int, err error) {
				apCheckPanic(k.t, "link after a panic", err, "apPanicMap", "apPanicMap")
			})
		})
	})
	t.Run("rejected", func(t *testing.T) {
		apRejected(t, io.EOF, func(k *apKit, f *future.Future[int]) {
			apWantPanic(k, "method Then onError", f.Then(apPanicOnValue, apPanicOnError), "apPanicOnError", "apPanicOnError")
			apWantPanic(k, "Catch", future.Catch(f, apPanicCatch), apErrPanic, "apPanicCatch")
			apWantPanic(k, "Finally", future.Finally(f, apPanicFinally), "apPanicFinally", "apPanicFinally")
		})
	})
}

// A FlatMap function that returns no future rejects the derived future.
func TestAPlus2_2_7_FlatMapNilFutureRejects(t *testing.T) {
	apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
		apOutcome(k, future.FlatMap(f, func(int) *future.Future[int] { return nil }), func(_ int, err error) {
			if err == nil || !strings.Contains(err.Error(), "nil future") {
				k.t.Errorf("got error %v, want one about a nil future", err)
			}
		})
	})
}

// ---------------------------------------------------------------------------
// 2.3 The resolution procedure.

// 2.3.1: a future resolved with itself is rejected with ErrCycle (where JS
// rejects with a TypeError), whether by Follow or by a FlatMap function
// returning the future FlatMap returned.
func TestAPlus2_3_1_SelfResolutionRejects(t *testing.T) {
	t.Run("FlatMap returns its own future", func(t *testing.T) {
		apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
			var self *future.Future[int]
			self = future.FlatMap(f, func(int) *future.Future[int] { return self })
			apWantCycle(k, "FlatMap", self)
		})
	})
	t.Run("Follow itself", func(t *testing.T) {
		// The Follow is the settling call of the mode.
		apRunModes(t, nil,
			func(p future.Promise[int]) { p.Follow(p.Future()) },
			func(k *apKit, f *future.Future[int], _ future.Promise[int]) { apWantCycle(k, "Follow", f) },
			func(k *apKit, f *future.Future[int]) {
				if _, err := apWait(f); !errors.Is(err, future.ErrCycle) {
					k.t.Errorf("Wait: got %v, want ErrCycle", err)
				}
			})
	})
	t.Run("Follow itself from another goroutine", func(t *testing.T) {
		k := apNewKit(t)
		f, p := future.New[int](k.l)
		p.Follow(f)
		_, err := apWait(f)
		apCheckCycle(t, "Wait", err)
	})
}

// 2.3.1, extended: a cycle of futures following each other (p→q→p, longer
// ones, through FlatMap) would never settle; the Follow that closes it is
// rejected with ErrCycle, and the rest of the cycle with it.
func TestAPlus2_3_1_CycleRejects(t *testing.T) {
	// closeCycle makes n pending futures, each following the next, and then
	// has the last follow the first, when makes it happen.
	for _, n := range []int{2, 3, 1000} {
		for _, when := range []string{"same-task", "later-by-timer", "from-another-goroutine"} {
			t.Run(fmt.Sprintf("n=%d/%s", n, when), func(t *testing.T) {
				k := apNewKit(t)
				fs := make([]*future.Future[int], n)
				ps := make([]future.Promise[int], n)
				for i := range fs {
					fs[i], ps[i] = future.New[int](k.l)
				}
				k.run(func() {
					for i := 0; i < n-1; i++ {
						ps[i].Follow(fs[i+1])
					}
					for i, f := range fs {
						apWantCycle(k, fmt.Sprintf("future %d", i), f)
					}
					switch when {
					case "same-task":
						ps[n-1].Follow(fs[0])
					case "later-by-timer":
						k.later(apLaterDelay, func() { ps[n-1].Follow(fs[0]) })
					}
				})
				if when == "from-another-goroutine" {
					ps[n-1].Follow(fs[0])
				}
				k.wait()
			})
		}
	}
	t.Run("FlatMap", func(t *testing.T) {
		// a's function returns b and b's returns a: a follows b, then b
		// would follow a.
		apFulfilled(t, 1, func(k *apKit, f *future.Future[int]) {
			var a, b *future.Future[int]
			a = future.FlatMap(f, func(int) *future.Future[int] { return b })
			b = future.FlatMap(f, func(int) *future.Future[int] { return a })
			apWantCycle(k, "a", a)
			apWantCycle(k, "b", b)
		})
	})
	t.Run("a cycle joined from outside", func(t *testing.T) {
		// x follows p; p and q then form a cycle: x is rejected too.
		k := apNewKit(t)
		k.run(func() {
			p, pp := future.New[int](k.l)
			q, qp := future.New[int](k.l)
			x, xp := future.New[int](k.l)
			xp.Follow(p)
			pp.Follow(q)
			qp.Follow(p)
			apWantCycle(k, "p", p)
			apWantCycle(k, "q", q)
			apWantCycle(k, "x", x)
		})
		k.wait()
	})
}

// Following is not a cycle merely because chains meet: several futures
// following one, a diamond, a chain followed twice, all settle with the
// value.
func TestAPlus2_3_1_SharedChainsAreNotCycles(t *testing.T) {
	apRunModes(t, nil,
		func(p future.Promise[int]) { p.Resolve(9) },
		func(k *apKit, root *future.Future[int], _ future.Promise[int]) {
			mid, mp := future.New[int](k.l)
			mp.Follow(root)
			a, ap := future.New[int](k.l)
			b, bp := future.New[int](k.l)
			ap.Follow(mid)
			bp.Follow(mid)
			top, tp := future.New[int](k.l)
			tp.Follow(a)
			long := root
			for range 100 {
				n, np := future.New[int](k.l)
				np.Follow(long)
				long = n
			}
			again, agp := future.New[int](k.l)
			agp.Follow(long)
			for i, f := range []*future.Future[int]{mid, a, b, top, long, again} {
				apWantValue(k, fmt.Sprintf("future %d", i), f, 9)
			}
		}, nil)
}

// Nor is it a cycle when a future in the middle of a chain settles early
// (Cancel, or a Timeout's timer) and the root of the chain then follows the
// far end: the far end takes the early outcome, and so does the root.
// (Regression test: the cycle check's path splitting had pointed the far
// end past the early-settled future, and the root was rejected with
// ErrCycle.)
func TestAPlus2_3_1_EarlySettleBreaksChain(t *testing.T) {
	t.Run("Cancel", func(t *testing.T) {
		k := apNewKit(t)
		k.run(func() {
			a, ap := future.New[int](k.l)
			b, bp := future.New[int](k.l)
			c, cp := future.New[int](k.l)
			ap.Follow(b) // a → b → c
			bp.Follow(c)
			x, xp := future.New[int](k.l)
			xp.Follow(a) // this walk points a past b, at c
			b.Cancel()   // a now waits for nothing but b's cancellation
			cp.Follow(a) // c → a → (b, cancelled): no cycle
			for i, f := range []*future.Future[int]{a, b, c, x} {
				apWantError(k, fmt.Sprintf("future %d", i), f, context.Canceled)
			}
		})
		k.wait()
	})
	t.Run("Timeout", func(t *testing.T) {
		k := apNewKit(t)
		k.run(func() {
			root, rp := future.New[int](k.l)
			out := future.Timeout(root, apLaterDelay) // out → root
			a, ap := future.New[int](k.l)
			all := []*future.Future[int]{out, a, nil, root}
			// The first reaction to the timeout runs before a adopts it:
			// there, a still points past out, at root.
			apOutcome(k, out, func(int, error) {
				rp.Follow(a) // root → a → (out, timed out): no cycle
				for i, f := range all {
					apOutcome(k, f, func(_ int, err error) {
						if !errors.Is(err, future.ErrTimeout) {
							k.t.Errorf("future %d: got %v, want ErrTimeout", i, err)
						}
					})
				}
			})
			ap.Follow(out) // a → out → root
			x, xp := future.New[int](k.l)
			xp.Follow(a) // this walk points a past out, at root
			all[2] = x
		})
		k.wait()
	})
}

// 2.3.2: resolved with a future x, a future adopts x's state: it stays
// pending while x is (and ignores other settles: it is locked to x), then
// takes x's identical value or reason. By Follow and by FlatMap, through
// nested adoptions, with x settling in each mode.
func TestAPlus2_3_2_AdoptsFuture(t *testing.T) {
	apEachValue(t, apCheck232[int], apCheck232[string], apCheck232[*apPayload],
		apCheck232[any], apCheck232[bool], apCheck232[error])
}

func apCheck232[T comparable](t *testing.T, v T) {
	adopters := func(k *apKit, x *future.Future[T]) []*future.Future[T] {
		var zero T
		a, ap := future.New[T](k.l)
		ap.Follow(x)
		// Locked to x: these are ignored, whatever x does.
		ap.Resolve(zero)
		ap.Reject(errors.New("ignored"))
		ap.Follow(future.Resolved(k.l, zero))
		b := future.FlatMap(future.Resolved(k.l, 0), func(int) *future.Future[T] { return x })
		c := future.FlatMap(future.Rejected[int](k.l, io.EOF).Then(nil, func(error) (int, error) { return 0, nil }),
			func(int) *future.Future[T] { return x })
		d, dp := future.New[T](k.l)
		dp.Follow(a) // d → a → x
		e := future.FlatMap(future.Resolved(k.l, 0), func(int) *future.Future[T] {
			return future.FlatMap(future.Resolved(k.l, 0), func(int) *future.Future[T] { return x })
		})
		fs := []*future.Future[T]{a, b, c, d, e}
		k.beforeSettle(func() {
			// 2.3.2.1: pending while x is.
			for i, f := range fs {
				if _, _, ok := f.Result(); ok {
					k.t.Errorf("adopter %d settled while the future it adopts is pending", i)
				}
			}
		})
		return fs
	}
	t.Run("fulfilled", func(t *testing.T) {
		apRunModes(t, nil,
			func(p future.Promise[T]) { p.Resolve(v) },
			func(k *apKit, x *future.Future[T], _ future.Promise[T]) {
				for i, f := range adopters(k, x) {
					apWantValue(k, fmt.Sprintf("adopter %d", i), f, v) // 2.3.2.2
				}
			}, nil)
	})
	t.Run("rejected", func(t *testing.T) {
		reason := errors.New("reason")
		apRunModes(t, nil,
			func(p future.Promise[T]) { p.Reject(reason) },
			func(k *apKit, x *future.Future[T], _ future.Promise[T]) {
				for i, f := range adopters(k, x) {
					apWantError(k, fmt.Sprintf("adopter %d", i), f, reason) // 2.3.2.3
				}
			}, nil)
	})
}

// 2.3.2 with the followed future pending when Follow is called, itself
// settled in each mode; the adopter settles after it and before the next
// task, and its reactions run after those registered on x before it.
func TestAPlus2_3_2_AdoptionOrder(t *testing.T) {
	apRunModes(t, nil,
		func(p future.Promise[int]) { p.Resolve(4) },
		func(k *apKit, x *future.Future[int], _ future.Promise[int]) {
			x.OnSettled(func(int, error) { k.log("x reaction 1") })
			a, ap := future.New[int](k.l)
			ap.Follow(x)
			a.OnSettled(func(v int, _ error) { k.log("a reaction %d", v) })
			x.OnSettled(func(int, error) { k.log("x reaction 2") })
			k.afterSettle(func() { k.later(0, func() { k.log("next task") }) })
		},
		func(k *apKit, _ *future.Future[int]) {
			k.wantLog("x reaction 1", "x reaction 2", "a reaction 4", "next task")
		})
}

// Cancel still rejects a future locked to another by Follow (the consumer
// gave up); the followed future is untouched.
func TestAPlus2_3_2_CancelOverridesFollow(t *testing.T) {
	k := apNewKit(t)
	k.run(func() {
		x, xp := future.New[int](k.l)
		a, ap := future.New[int](k.l)
		ap.Follow(x)
		a.Cancel()
		apWantError(k, "a", a, context.Canceled)
		k.later(apLaterDelay, func() {
			xp.Resolve(1)
			apWantValue(k, "x", x, 1)
			k.later(apLaterDelay, func() { apCheckResult(k, "a later", a, 0, context.Canceled) })
		})
	})
	k.wait()
}

// 2.3.2 across loops: a future adopts one that belongs to another loop, in
// each mode (the other future settled before, right after, or later), and
// its reactions still run on its own loop.
func TestAPlus2_3_2_AdoptsAcrossLoops(t *testing.T) {
	reason := errors.New("remote reason")
	for _, m := range apTimings {
		for _, fulfil := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/fulfil=%v", m, fulfil), func(t *testing.T) {
				k := apNewKit(t)
				remote := looptest.Start(t, loop.WithVirtualTime(time.Unix(0, 0)))
				looptest.On(t, remote, func() {}) // Run has started (see apNewKit)
				x, xp := future.New[*apPayload](remote)
				settle := func() {
					if fulfil {
						xp.Resolve(apPtr)
					} else {
						xp.Reject(reason)
					}
				}
				if m == apAlready {
					looptest.On(t, remote, settle)
				}
				k.run(func() {
					a, ap := future.New[*apPayload](k.l)
					ap.Follow(x)
					ap.Resolve(nil) // locked: ignored
					apOutcome(k, a, func(v *apPayload, err error) {
						if !k.l.OnLoop() {
							k.t.Error("reaction ran off its future's loop")
						}
						if fulfil && (v != apPtr || err != nil) || !fulfil && err != reason {
							k.t.Errorf("adopter got (%v, %v)", v, err)
						}
					})
					if m == apSameTurn {
						settle() // Posted to remote after the Follow's registration
					}
				})
				if m == apLater {
					looptest.On(t, remote, func() { remote.AfterFunc(apLaterDelay, settle) })
				}
				k.wait()
			})
		}
	}
}

// 2.3.3, thenables: FromCallback is the way a foreign, callback-shaped
// computation becomes a future. Only the first call of the callback counts
// (2.3.3.3.3); a panic in start after the callback has been called is
// ignored (2.3.3.3.4.1), one before it rejects the future (2.3.3.3.4.2).
func TestAPlus2_3_3_FromCallbackFirstCallWins(t *testing.T) {
	errA, errB := errors.New("first error"), errors.New("second error")
	type call struct {
		v   int
		err error
	}
	cases := []struct {
		name  string
		calls []call
	}{
		{"value", []call{{7, nil}}},
		{"zero value", []call{{0, nil}, {0, errA}}},
		{"error", []call{{0, errA}}},
		{"value then error", []call{{7, nil}, {0, errB}}},
		{"error then value", []call{{0, errA}, {8, nil}}},
		{"value twice", []call{{7, nil}, {8, nil}}},
		{"error twice", []call{{0, errA}, {0, errB}}},
		{"value and error together, then value", []call{{5, errA}, {8, nil}}},
	}
	for _, c := range cases {
		for _, m := range apTimings {
			t.Run(c.name+"/"+m.String(), func(t *testing.T) {
				first := c.calls[0]
				k := apNewKit(t)
				k.run(func() {
					var cb func(int, error)
					callAll := func(calls []call) {
						for _, x := range calls {
							cb(x.v, x.err)
						}
					}
					f := future.FromCallback(k.l, func(callback func(int, error)) {
						cb = callback
						if m == apAlready {
							callAll(c.calls) // inside start, before FromCallback returns
						}
					})
					apOutcome(k, f, func(v int, err error) {
						if err != first.err || first.err == nil && v != first.v {
							k.t.Errorf("got (%v, %v), want the first call's (%v, %v)", v, err, first.v, first.err)
						}
					})
					switch m {
					case apSameTurn:
						callAll(c.calls)
					case apLater:
						k.later(apLaterDelay, func() { callAll(c.calls[:1]) })
						k.later(2*apLaterDelay, func() { callAll(c.calls[1:]) })
					}
					k.later(3*apLaterDelay, func() {
						apOutcome(k, f, func(v int, err error) {
							if err != first.err || first.err == nil && v != first.v {
								k.t.Errorf("later reaction got (%v, %v), want (%v, %v)", v, err, first.v, first.err)
							}
						})
					})
				})
				k.wait()
			})
		}
	}
}

// apCallThenPanic calls back, then panics: the panic is ignored.
func apCallThenPanic(cb func(int, error)) {
	cb(7, nil)
	panic("after the callback")
}

// apThenable keeps the callback for later and panics first.
type apThenable struct{ cb func(int, error) }

func (th *apThenable) keepThenPanic(cb func(int, error)) {
	th.cb = cb
	panic("before the callback")
}

func TestAPlus2_3_3_FromCallbackPanics(t *testing.T) {
	for _, where := range []string{"on the loop", "off the loop"} {
		onLoop := where == "on the loop"
		t.Run("panic after the callback is ignored/"+where, func(t *testing.T) {
			k := apNewKit(t)
			var f *future.Future[int]
			if onLoop {
				looptest.On(t, k.l, func() { f = future.FromCallback(k.l, apCallThenPanic) })
			} else {
				f = future.FromCallback(k.l, apCallThenPanic)
			}
			if v, err := apWait(f); v != 7 || err != nil {
				t.Errorf("got (%v, %v), want (7, nil)", v, err)
			}
		})
		t.Run("panic before the callback rejects/"+where, func(t *testing.T) {
			k := apNewKit(t)
			th := &apThenable{}
			var f *future.Future[int]
			if onLoop {
				looptest.On(t, k.l, func() { f = future.FromCallback(k.l, th.keepThenPanic) })
			} else {
				f = future.FromCallback(k.l, th.keepThenPanic)
			}
			th.cb(9, nil) // too late: ignored
			looptest.On(t, k.l, func() { th.cb(10, nil) })
			_, err := apWait(f)
			apCheckPanic(t, "FromCallback", err, "before the callback", "(*apThenable).keepThenPanic")
		})
	}
}

// The callback called from several goroutines at once: one call wins, and
// every reaction sees that one.
func TestAPlus2_3_3_FromCallbackConcurrentCalls(t *testing.T) {
	k := apNewKit(t)
	const callers = 8
	var wg sync.WaitGroup
	f := future.FromCallback(k.l, func(cb func(*apPayload, error)) {
		for i := range callers {
			wg.Go(func() {
				if i%2 == 0 {
					cb(&apPayload{n: i}, nil)
				} else {
					cb(nil, fmt.Errorf("caller %d", i))
				}
			})
		}
	})
	wg.Wait()
	v0, err0 := apWait(f)
	if (v0 == nil) == (err0 == nil) {
		t.Fatalf("got (%v, %v): want exactly one of a value and an error", v0, err0)
	}
	for i := range 3 {
		if v, err := apWait(future.Map(f, func(p *apPayload) *apPayload { return p })); v != v0 || err != err0 {
			t.Errorf("reaction %d got (%v, %v), want (%v, %v)", i, v, err, v0, err0)
		}
	}
}

// ---------------------------------------------------------------------------
// Off the loop: registrations and settles from many goroutines at once.
// Each reaction runs exactly once with the value of the one settle that won,
// and one goroutine's registrations run in its order (Posts from one
// goroutine keep their order). Meant for -race.

func TestAPlusConcurrentThenAndSettle(t *testing.T) {
	k := apNewKit(t)
	f, p := future.New[*apPayload](k.l)
	const (
		registrars = 8
		each       = 200
		settlers   = 4
	)
	var (
		mu     sync.Mutex
		order  [registrars][]int
		values = map[*apPayload]int{}
		ran    sync.WaitGroup
		wg     sync.WaitGroup
	)
	ran.Add(registrars * each)
	record := func(g, i int, v *apPayload) {
		mu.Lock()
		defer mu.Unlock()
		order[g] = append(order[g], i)
		values[v]++
		ran.Done()
	}
	for g := range registrars {
		wg.Go(func() {
			for i := range each {
				switch i % 3 {
				case 0:
					f.OnSettled(func(v *apPayload, _ error) { record(g, i, v) })
				case 1:
					future.Map(f, func(v *apPayload) int { record(g, i, v); return 0 })
				default:
					f.Then(func(v *apPayload) (*apPayload, error) { record(g, i, v); return v, nil }, nil)
				}
			}
		})
	}
	for s := range settlers {
		wg.Go(func() { p.Resolve(&apPayload{n: s}) })
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { ran.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(apWaitLimit):
		t.Fatal("timed out waiting for the reactions")
	}
	won, err := apWait(f)
	if err != nil || won == nil {
		t.Fatalf("Wait: (%v, %v)", won, err)
	}
	looptest.On(t, k.l, func() {}) // a task later: nothing more runs
	mu.Lock()
	defer mu.Unlock()
	if len(values) != 1 || values[won] != registrars*each {
		t.Errorf("reactions saw %v, want all %d to see %p", values, registrars*each, won)
	}
	for g, o := range order {
		if len(o) != each || !slices.IsSorted(o) {
			t.Errorf("registrar %d: reactions ran in order %v, want 0..%d once each", g, o, each-1)
		}
	}
}
