package future_test

// The unhandled-rejection hook is global: these tests set it and restore it,
// and none of them runs in parallel. Reports are filtered by loop, since a
// future of an earlier test may be collected while one of these runs.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// gcUntil runs the garbage collector until c has at least n reports, or
// fails the test after waitLimit.
func (c *collector) gcUntil(t *testing.T, n int) []future.Unhandled {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		if got := c.reports(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reports within %v of garbage collection, want %d: %v", len(c.reports()), waitLimit, n, c.reports())
		}
		runtime.GC()
		runtime.Gosched()
	}
}

// nextLine returns the line after the caller's: put it just above the call
// whose line a report must name.
func nextLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line + 1
}

// wantOrigin fails the test unless u.Origin names this file at line.
func wantOrigin(t *testing.T, u future.Unhandled, line int) {
	t.Helper()
	if want := fmt.Sprintf("unhandled_test.go:%d ", line); !strings.Contains(u.Origin, want) {
		t.Errorf("Origin %q, want it to name %s", u.Origin, want)
	}
	if !strings.Contains(u.Origin, "future_test.") {
		t.Errorf("Origin %q names no function of this package", u.Origin)
	}
}

// closeLoop closes l in the middle of the test (looptest's own Close at
// the end is then a no-op).
func closeLoop(t *testing.T, l *loop.Loop) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

var errLost = errors.New("nobody looked at this")

func TestUnhandled_ReportedWhenTheLoopCloses(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)

	f, p := future.New[int](l)
	rejectLine := nextLine()
	p.Reject(errLost) // from the test goroutine
	rejectedLine := nextLine()
	g := future.Rejected[string](l, errB)
	var h *future.Future[int]
	var onLoopLine int
	looptest.On(t, l, func() {
		var q future.Promise[int]
		h, q = future.New[int](l)
		onLoopLine = nextLine()
		q.Settle(0, errC) // on the loop, through Settle
	})
	bbPeek(t, f) // settled by now
	if got := c.reports(); len(got) != 0 {
		t.Fatalf("reported before the loop closed: %v", got)
	}
	closeLoop(t, l)
	runtime.KeepAlive(f) // not collected first
	runtime.KeepAlive(g)
	runtime.KeepAlive(h)

	got := c.reports()
	if len(got) != 3 {
		t.Fatalf("%d reports, want 3: %v", len(got), got)
	}
	lines := map[error]int{errLost: rejectLine, errB: rejectedLine, errC: onLoopLine}
	for _, u := range got {
		if u.When != "loop closed" {
			t.Errorf("When = %q, want \"loop closed\"", u.When)
		}
		if u.Loop != l {
			t.Errorf("Loop = %p, want %p", u.Loop, l)
		}
		line, ok := lines[u.Err]
		if !ok {
			t.Errorf("unexpected report %v", u)
			continue
		}
		delete(lines, u.Err)
		wantOrigin(t, u, line)
	}
}

func TestUnhandled_ReportedWhenCollected(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)
	var line int
	func() {
		_, p := future.New[int](l)
		line = nextLine()
		p.Reject(errLost)
	}()
	looptest.On(t, l, func() {}) // the rejection has reached the loop
	got := c.gcUntil(t, 1)
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1: %v", len(got), got)
	}
	u := got[0]
	if u.When != "collected" || u.Err != errLost || u.Loop != l {
		t.Fatalf("report %+v, want When \"collected\", Err %v, this loop", u, errLost)
	}
	wantOrigin(t, u, line)
	// Reported once: closing the loop adds nothing.
	closeLoop(t, l)
	if got := c.reports(); len(got) != 1 {
		t.Fatalf("%d reports after the loop closed, want still 1: %v", len(got), got)
	}
}

// Rejected futures that something observed are never reported: not when
// collected, not when the loop closes.
func TestUnhandled_ObservedIsNeverReported(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)
	var keep []any

	// Catch, attached before and after the rejection.
	f1, p1 := future.New[int](l)
	keep = append(keep, future.Catch(f1, func(error) (int, error) { return 0, nil }))
	p1.Reject(errLost)
	f2, p2 := future.New[int](l)
	p2.Reject(errLost)
	bbPeek(t, f2) // rejected, with nothing attached yet
	keep = append(keep, future.Catch(f2, func(error) (int, error) { return 0, nil }))

	// Wait.
	f3, p3 := future.New[int](l)
	p3.Reject(errLost)
	if _, err := bbWait(t, f3); err != errLost {
		t.Fatalf("Wait = %v", err)
	}

	// ToChan.
	f4 := future.Rejected[int](l, errLost)
	if r := looptest.Recv(t, future.ToChan(f4), "ToChan"); r.Err != errLost {
		t.Fatalf("ToChan = %v", r)
	}

	// A Then chain ending in Catch: every link rejects, only the last one
	// recovers.
	f5, p5 := future.New[int](l)
	end := future.Catch(
		future.Then(future.Map(f5, func(v int) int { return v + 1 }), func(v int) (string, error) { return "x", nil }),
		func(err error) (string, error) { return "recovered", nil })
	p5.Reject(errLost)
	if v := bbValue(t, end); v != "recovered" {
		t.Fatalf("chain = %q", v)
	}

	// A handler's error, caught further down.
	f6 := future.Resolved(l, 1)
	end6 := future.Catch(future.Then(f6, func(int) (int, error) { return 0, errB }), func(error) (int, error) { return 6, nil })
	if v := bbValue(t, end6); v != 6 {
		t.Fatalf("handler error chain = %d", v)
	}

	// OnSettled, Finally then Catch, and Follow.
	future.Rejected[int](l, errLost).OnSettled(func(int, error) {})
	keep = append(keep, future.Catch(future.Finally(future.Rejected[int](l, errLost), func() {}), func(error) (int, error) { return 0, nil }))
	fol, pf := future.New[int](l)
	pf.Follow(future.Rejected[int](l, errLost))
	if _, err := bbWait(t, fol); err != errLost {
		t.Fatalf("follower = %v", err)
	}

	// Combinators observe their inputs; their results are observed here.
	bbValue(t, future.AllSettled(l, []*future.Future[int]{future.Rejected[int](l, errLost)}))
	bbErr(t, future.All(l, []*future.Future[int]{future.Rejected[int](l, errLost)}), errLost)
	bbErr(t, future.Race(l, []*future.Future[int]{future.Rejected[int](l, errLost)}), errLost)

	looptest.On(t, l, func() {})
	for range 3 {
		runtime.GC()
	}
	looptest.On(t, l, func() {}) // reports of collection go through the loop
	closeLoop(t, l)
	runtime.KeepAlive(keep)
	runtime.KeepAlive([]any{f1, f2, f3, f4, f5, f6})
	if got := c.reports(); len(got) != 0 {
		t.Fatalf("observed rejections were reported: %v", got)
	}
}

// A rejection that passes down a chain is reported once, for the last link,
// with the origin of the rejection.
func TestUnhandled_ChainReportedOnce(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)

	f, p := future.New[int](l)
	last := future.Finally(future.Then(future.Map(f, func(v int) int { return v }), func(v int) (int, error) { return v, nil }), func() {})
	line := nextLine()
	p.Reject(errLost)

	// A handler that returns an error: the origin is the handler.
	handlerLine := nextLine()
	h := func(int) (string, error) { return "", errB }
	last2 := future.Map(future.Then(future.Resolved(l, 1), h), func(s string) string { return s })

	bbPeek(t, last)
	bbPeek(t, last2)
	closeLoop(t, l)
	runtime.KeepAlive(last)
	runtime.KeepAlive(last2)

	got := c.reports()
	if len(got) != 2 {
		t.Fatalf("%d reports, want 2 (one per chain): %v", len(got), got)
	}
	for _, u := range got {
		switch u.Err {
		case errLost:
			wantOrigin(t, u, line)
		case errB:
			wantOrigin(t, u, handlerLine)
		default:
			t.Errorf("unexpected report %v", u)
		}
	}
}

// The chain's last link, dropped, is reported once as collected.
func TestUnhandled_ChainCollectedOnce(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)
	var p future.Promise[int]
	func() {
		var f *future.Future[int]
		f, p = future.New[int](l)
		future.Map(future.Map(future.Map(f, func(v int) int { return v }), func(v int) int { return v }), func(v int) int { return v })
	}()
	p.Reject(errLost)
	looptest.On(t, l, func() {})
	got := c.gcUntil(t, 1)
	// Give the others, if any, every chance to show up.
	for range 3 {
		runtime.GC()
	}
	looptest.On(t, l, func() {})
	closeLoop(t, l)
	if got = c.reports(); len(got) != 1 || got[0].When != "collected" || got[0].Err != errLost {
		t.Fatalf("reports %v, want one, collected, of %v", got, errLost)
	}
}

func TestUnhandled_PanicInOnSettled(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)
	f, p := future.New[int](l)
	var ran []string // loop-owned
	looptest.On(t, l, func() {
		f.OnSettled(func(v int, _ error) { ran = append(ran, fmt.Sprint("first ", v)) })
		f.OnSettled(func(int, error) { panic("reaction blew up") })
		f.OnSettled(func(v int, _ error) { ran = append(ran, fmt.Sprint("third ", v)) })
	})
	after := future.Map(f, func(v int) int { return v * 2 })
	p.Resolve(21)
	if v := bbValue(t, after); v != 42 {
		t.Fatalf("a reaction after the panicking one gave %d, want 42", v)
	}
	looptest.On(t, l, func() {
		if want := []string{"first 21", "third 21"}; !slices.Equal(ran, want) {
			t.Errorf("reactions ran %q, want %q", ran, want)
		}
	})
	got := c.reports()
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1: %v", len(got), got)
	}
	u := got[0]
	if u.When != "reaction panicked" || u.Loop != l {
		t.Fatalf("report %+v, want When \"reaction panicked\" on this loop", u)
	}
	var rec *panics.ErrRecovered
	if !errors.As(u.Err, &rec) || rec.Value != "reaction blew up" {
		t.Fatalf("report's Err = %T %v, want *panics.ErrRecovered of the panic", u.Err, u.Err)
	}
	if !strings.Contains(u.Origin, "unhandled_test.go:") {
		t.Errorf("Origin %q does not name the reaction", u.Origin)
	}
	// The loop went on: looptest checks Run's error when the test ends.
}

// A cancellation is not reported: whoever cancelled knows.
func TestUnhandled_CancellationIsNotReported(t *testing.T) {
	l := bbLoop(t)
	c := collectUnhandled(t, l)
	f, _ := future.New[int](l)
	f.Cancel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g, _ := future.New[int](l)
	g.Bind(ctx)
	h := future.Rejected[int](l, fmt.Errorf("wrapped: %w", context.Canceled))
	bbPeek(t, f)
	closeLoop(t, l)
	runtime.KeepAlive([]any{f, g, h})
	if got := c.reports(); len(got) != 0 {
		t.Fatalf("cancellations were reported: %v", got)
	}
}

// The hook in place before the test is back after it, and SetUnhandledHook
// returns the hook it replaces.
func TestUnhandled_SetUnhandledHookReturnsThePrevious(t *testing.T) {
	var calls []string
	a := func(future.Unhandled) { calls = append(calls, "a") }
	orig := future.SetUnhandledHook(a)
	t.Cleanup(func() { future.SetUnhandledHook(orig) })
	prev := future.SetUnhandledHook(nil)
	if prev == nil {
		t.Fatal("SetUnhandledHook(nil) did not return the hook it replaced")
	}
	prev(future.Unhandled{})
	if !slices.Equal(calls, []string{"a"}) {
		t.Fatalf("the returned hook is not the one set: calls %v", calls)
	}
	if again := future.SetUnhandledHook(orig); again != nil {
		t.Fatal("SetUnhandledHook after nil returned a hook; want nil (the default)")
	}
}
