package future_test

// Stack safety: a future's reactions run as microtasks, never inside the
// call that made them due, so a chain of a million Thens, or a nest of a
// million futures each following the next, settles with constant stack.
//
// The tests run under runtime/debug.SetMaxStack(stackLimit), which applies
// to every goroutine, the loop's included. Going over it is not a panic but
// a fatal "goroutine stack exceeds limit" that kills the test binary, so a
// recursive implementation cannot pass by accident. It would need at least
// one frame per link: even at 32 bytes a frame (a return address, a frame
// pointer and two words; this package's settle and Run frames are several
// times that), 1,000,000 links take 32 MB of stack, 500 times stackLimit.
// (A recursive walk of a million-node list, run under this limit, dies
// with "goroutine stack exceeds 65536-byte limit".) The limit is still
// well above what the loop needs: its deepest path, Run → turn → runReady
// → drainMicrotasks → a reaction → a handler → settle → MicrotaskJob, fits
// in a goroutine's initial 8 KiB; these tests pass at SetMaxStack(8192),
// race detector included.

import (
	"context"
	"errors"
	"runtime/debug"
	"testing"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

const (
	stackN     = 1_000_000 // links in each chain or nest
	stackLimit = 64 << 10  // bytes of stack, for every goroutine
)

// stackWaitLimit bounds, in real time, how long a million links may take
// (about a second each under -race on two cores).
const stackWaitLimit = 2 * time.Minute

// stackSetup starts a loop, lowers the stack limit until the end of the
// test and returns the loop.
func stackSetup(t *testing.T) *loop.Loop {
	t.Helper()
	l := looptest.Start(t, loop.WithVirtualTime(time.Unix(0, 0)))
	looptest.On(t, l, func() {}) // Run has started
	old := debug.SetMaxStack(stackLimit)
	t.Cleanup(func() { debug.SetMaxStack(old) })
	return l
}

// stackWait waits for f from the test goroutine and logs how long it took
// since start.
func stackWait[T any](t *testing.T, f *future.Future[T], start time.Time, what string) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stackWaitLimit)
	defer cancel()
	v, err := f.Wait(ctx)
	if err == ctx.Err() && err != nil {
		t.Fatalf("%s: not settled within %v", what, stackWaitLimit)
	}
	t.Logf("%s: settled %v after the settle call", what, time.Since(start))
	return v, err
}

// A chain of 1,000,000 Thens, each adding one, built before its head is
// fulfilled: the value runs down the whole chain.
func TestStack_ThenChain1M(t *testing.T) {
	kinds := []struct {
		name string
		then func(f *future.Future[int], calls *int) *future.Future[int]
	}{
		{"function Then", func(f *future.Future[int], calls *int) *future.Future[int] {
			return future.Then(f, func(v int) (int, error) { *calls++; return v + 1, nil })
		}},
		{"method Then", func(f *future.Future[int], calls *int) *future.Future[int] {
			return f.Then(func(v int) (int, error) { *calls++; return v + 1, nil }, nil)
		}},
		{"Map", func(f *future.Future[int], calls *int) *future.Future[int] {
			return future.Map(f, func(v int) int { *calls++; return v + 1 })
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			l := stackSetup(t)
			var (
				tail  *future.Future[int]
				head  future.Promise[int]
				calls int // loop goroutine only, until the tail is settled
			)
			looptest.On(t, l, func() {
				var f *future.Future[int]
				f, head = future.New[int](l)
				for range stackN {
					f = k.then(f, &calls)
				}
				tail = f
			})
			start := time.Now()
			head.Resolve(0)
			v, err := stackWait(t, tail, start, k.name)
			if err != nil || v != stackN || calls != stackN {
				t.Errorf("tail: (%v, %v) after %d calls, want (%d, nil) after %d", v, err, calls, stackN, stackN)
			}
		})
	}
}

// A rejection passes down a chain of 1,000,000 links whose handlers only
// take values: it arrives unchanged and no handler runs.
func TestStack_RejectionChain1M(t *testing.T) {
	l := stackSetup(t)
	reason := errors.New("passed down a million links")
	var (
		tail  *future.Future[int]
		head  future.Promise[int]
		calls int
	)
	looptest.On(t, l, func() {
		var f *future.Future[int]
		f, head = future.New[int](l)
		for i := range stackN {
			switch i % 5 {
			case 0:
				f = future.Then(f, func(v int) (int, error) { calls++; return v, nil })
			case 1:
				f = f.Then(func(v int) (int, error) { calls++; return v, nil }, nil)
			case 2:
				f = f.Then(nil, nil)
			case 3:
				f = future.Map(f, func(v int) int { calls++; return v })
			default:
				f = future.FlatMap(f, func(v int) *future.Future[int] { calls++; return future.Resolved(l, v) })
			}
		}
		tail = f
	})
	start := time.Now()
	head.Reject(reason)
	_, err := stackWait(t, tail, start, "rejection chain")
	if err != reason || calls != 0 {
		t.Errorf("tail: error %v after %d handler calls, want %v after none", err, calls, reason)
	}
}

// A nest of 1,000,000 futures, each following the next with Promise.Follow,
// then the innermost settled: the outermost gets its outcome. Built outer
// first (each Follow's target is new) and inner first (each Follow's target
// already follows a long chain: the cycle check must stay cheap too).
func TestStack_NestedFollow1M(t *testing.T) {
	reason := errors.New("from the innermost future")
	for _, order := range []string{"outer first", "inner first"} {
		for _, fulfil := range []bool{true, false} {
			name := order + "/fulfil"
			if !fulfil {
				name = order + "/reject"
			}
			t.Run(name, func(t *testing.T) {
				l := stackSetup(t)
				var (
					outer *future.Future[int]
					inner future.Promise[int]
				)
				looptest.On(t, l, func() {
					if order == "outer first" {
						var p future.Promise[int]
						outer, p = future.New[int](l)
						for range stackN {
							next, np := future.New[int](l)
							p.Follow(next)
							p = np
						}
						inner = p
					} else {
						var f *future.Future[int]
						f, inner = future.New[int](l)
						for range stackN {
							o, op := future.New[int](l)
							op.Follow(f)
							f = o
						}
						outer = f
					}
				})
				start := time.Now()
				if fulfil {
					inner.Resolve(stackN)
				} else {
					inner.Reject(reason)
				}
				v, err := stackWait(t, outer, start, name)
				if fulfil && (v != stackN || err != nil) || !fulfil && err != reason {
					t.Errorf("outermost: (%v, %v)", v, err)
				}
			})
		}
	}
}

// Asynchronous recursion, 1,000,000 deep: step(i) returns a FlatMap whose
// function calls step(i+1), so each level's future follows the next one's,
// a nest built while it runs. JavaScript's equivalent is the classic
// recursive promise loop.
func TestStack_RecursiveFlatMap1M(t *testing.T) {
	l := stackSetup(t)
	var step func(i int) *future.Future[int]
	step = func(i int) *future.Future[int] {
		if i == stackN {
			return future.Resolved(l, i)
		}
		return future.FlatMap(future.Resolved(l, i+1), step)
	}
	var f *future.Future[int]
	start := time.Now()
	looptest.On(t, l, func() { f = step(0) })
	v, err := stackWait(t, f, start, "recursive FlatMap")
	if v != stackN || err != nil {
		t.Errorf("got (%v, %v), want (%d, nil)", v, err, stackN)
	}
}
