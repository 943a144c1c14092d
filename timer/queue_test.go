package timer_test

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/weftio/weft/timer"
)

func expectExpire(t *testing.T, q queue, r *recorder, now int64, want string) {
	t.Helper()
	n := q.Expire(now, nil)
	if got := r.take(); got != want {
		t.Fatalf("Expire(%d) ran %s, want %s", now, got, want)
	}
	if ran := len(r.last); n != ran {
		t.Fatalf("Expire(%d) returned %d, ran %d", now, n, ran)
	}
	if err := q.check(); err != nil {
		t.Fatal(err)
	}
}

func TestExpireOrder(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Add(30, r.f("c"))
		q.Add(10, r.f("a"))
		q.Add(20, r.f("b"))
		q.Add(31, r.f("d"))
		expectExpire(t, q, &r, 9, "[]")
		expectExpire(t, q, &r, 30, "[a b c]")
		if q.Len() != 1 {
			t.Fatalf("Len = %d, want 1", q.Len())
		}
		expectExpire(t, q, &r, 100, "[d]")
		if _, ok := q.Next(); ok || q.Len() != 0 {
			t.Fatalf("queue not empty after firing everything")
		}
	})
}

func TestSameInstantFiresInInsertionOrder(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		names := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
		// Interleave another deadline so that the heap has to reorder.
		for _, n := range names {
			q.Add(50, r.f(n))
			q.Add(60, r.f("late"+n))
		}
		expectExpire(t, q, &r, 50, "[0 1 2 3 4 5 6 7 8 9]")
	})
}

func TestResetCountsAsNewInsertion(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		a := q.Add(5, r.f("a"))
		q.Add(5, r.f("b"))
		c := q.Add(99, r.f("c"))
		q.Add(5, r.f("d"))
		if !a.Reset(5) {
			t.Fatal("Reset of a pending timer returned false")
		}
		if c.Reset(5) != true {
			t.Fatal("Reset of a pending timer returned false")
		}
		expectExpire(t, q, &r, 5, "[b d a c]")
	})
}

func TestNext(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		if _, ok := q.Next(); ok {
			t.Fatal("Next on an empty queue reported a deadline")
		}
		a := q.Add(1_000_000, func() {})
		b := q.Add(500, func() {})
		q.Add(2_000_000_000, func() {})
		check := func(want int64) {
			t.Helper()
			if w, ok := q.Next(); !ok || w != want {
				t.Fatalf("Next = %d, %v; want %d, true", w, ok, want)
			}
		}
		check(500)
		b.Stop()
		check(1_000_000)
		a.Reset(-7)
		check(-7)
		a.Stop()
		check(2_000_000_000)
	})
}

func TestPastDeadlineFiresOnNextExpire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Expire(1000, nil) // move the clock on
		q.Add(-50, r.f("neg"))
		q.Add(math.MinInt64, r.f("min"))
		q.Add(999, r.f("past"))
		if w, ok := q.Next(); !ok || w != math.MinInt64 {
			t.Fatalf("Next = %d, %v", w, ok)
		}
		expectExpire(t, q, &r, 1000, "[min neg past]")
	})
}

func TestAddDuringExpireWaitsForNextTurn(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Add(10, func() {
			r.got = append(r.got, "a")
			q.Add(0, r.f("added-past"))
			q.Add(10, r.f("added-now"))
		})
		q.Add(10, r.f("b"))
		if n := q.Expire(10, nil); n != 2 {
			t.Fatalf("Expire fired %d, want 2", n)
		}
		if got := r.take(); got != "[a b]" {
			t.Fatalf("first Expire ran %s", got)
		}
		if q.Len() != 2 {
			t.Fatalf("Len = %d, want 2", q.Len())
		}
		expectExpire(t, q, &r, 10, "[added-past added-now]")
	})
}

func TestSelfResetFiresOncePerExpire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		runs := 0
		var tm handle
		tm = q.Add(0, func() {
			runs++
			tm.Reset(0) // a past deadline: must not loop inside Expire
		})
		for i := 1; i <= 3; i++ {
			if n := q.Expire(100, nil); n != 1 || runs != i {
				t.Fatalf("Expire #%d fired %d, total runs %d", i, n, runs)
			}
		}
		if !tm.Pending() {
			t.Fatal("self-reset timer is not pending")
		}
	})
}

func TestStopInBatchPreventsRun(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		var b handle
		stopped := false
		q.Add(1, func() {
			r.got = append(r.got, "a")
			if !b.Pending() {
				t.Error("b is not pending while its turn has not come")
			}
			stopped = b.Stop()
			if b.Pending() {
				t.Error("b pending after Stop")
			}
		})
		b = q.Add(2, r.f("b"))
		q.Add(3, r.f("c"))
		if l := q.Len(); l != 3 {
			t.Fatalf("Len = %d", l)
		}
		if n := q.Expire(3, nil); n != 2 {
			t.Fatalf("Expire fired %d, want 2", n)
		}
		if got := r.take(); got != "[a c]" {
			t.Fatalf("ran %s, want [a c]", got)
		}
		if !stopped {
			t.Fatal("Stop of a not-yet-run batch timer returned false")
		}
		if b.Stop() {
			t.Fatal("second Stop returned true")
		}
		expectExpire(t, q, &r, 100, "[]")
	})
}

func TestResetInBatchMovesBackToQueue(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		var b handle
		var was bool
		var lenInside int
		q.Add(1, func() {
			r.got = append(r.got, "a")
			was = b.Reset(1) // past deadline: next turn, not this one
			lenInside = q.Len()
		})
		b = q.Add(2, r.f("b"))
		q.Add(3, r.f("c"))
		expectExpire(t, q, &r, 3, "[a c]")
		if !was {
			t.Fatal("Reset of a not-yet-run batch timer returned false")
		}
		if lenInside != 2 { // b back in the queue, c still to run
			t.Fatalf("Len inside the batch = %d, want 2", lenInside)
		}
		if w, ok := q.Next(); !ok || w != 1 {
			t.Fatalf("Next = %d, %v; want 1", w, ok)
		}
		expectExpire(t, q, &r, 3, "[b]")
	})
}

func TestStopAndResetAfterFire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		a := q.Add(1, r.f("a"))
		expectExpire(t, q, &r, 1, "[a]")
		if a.Pending() {
			t.Fatal("fired timer still pending")
		}
		if a.Stop() {
			t.Fatal("Stop after fire returned true")
		}
		if a.Reset(7) {
			t.Fatal("Reset after fire reported the timer as pending")
		}
		if !a.Pending() || a.When() != 7 {
			t.Fatalf("after Reset: pending %v when %d", a.Pending(), a.When())
		}
		if !a.Stop() {
			t.Fatal("Stop of a re-armed timer returned false")
		}
		if a.Stop() {
			t.Fatal("Stop twice returned true the second time")
		}
		expectExpire(t, q, &r, 100, "[]")
		if a.Reset(8) {
			t.Fatal("Reset after Stop reported the timer as pending")
		}
		expectExpire(t, q, &r, 100, "[a]")
	})
}

func TestRunWrapper(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Add(1, r.f("a"))
		q.Add(2, r.f("b"))
		var wrapped int
		n := q.Expire(2, func(f func()) {
			wrapped++
			r.got = append(r.got, "<")
			f()
			r.got = append(r.got, ">")
		})
		if n != 2 || wrapped != 2 {
			t.Fatalf("Expire fired %d, run called %d times", n, wrapped)
		}
		if got := r.take(); got != "[< a > < b >]" {
			t.Fatalf("ran %s", got)
		}
	})
}

// expirePanic runs Expire and returns what it panicked with.
func expirePanic(q queue, now int64, run func(func())) (v any) {
	defer func() { v = recover() }()
	q.Expire(now, run)
	return nil
}

func TestPanicKeepsRestOfBatch(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Add(1, r.f("a"))
		boom := q.Add(2, func() {
			r.got = append(r.got, "boom")
			q.Add(0, r.f("added")) // added before the panic, past deadline
			panic("boom")
		})
		q.Add(3, r.f("c"))
		q.Add(3, r.f("d"))
		q.Add(9, r.f("later"))
		if v := expirePanic(q, 5, nil); v != "boom" {
			t.Fatalf("Expire panicked with %v", v)
		}
		if got := r.take(); got != "[a boom]" {
			t.Fatalf("before the panic ran %s", got)
		}
		if err := q.check(); err != nil {
			t.Fatal(err)
		}
		if boom.Pending() {
			t.Fatal("the timer that panicked is still pending")
		}
		if q.Len() != 4 {
			t.Fatalf("Len = %d after the panic, want 4", q.Len())
		}
		// Deadline order: "added" (0) before c and d (3), which keep theirs.
		expectExpire(t, q, &r, 5, "[added c d]")
		expectExpire(t, q, &r, 9, "[later]")
	})
}

func TestPanicInRunKeepsRestOfBatch(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		q.Add(1, r.f("a"))
		q.Add(1, r.f("b"))
		q.Add(1, r.f("c"))
		calls := 0
		run := func(f func()) {
			calls++
			if calls == 2 {
				panic("run")
			}
			f()
		}
		if v := expirePanic(q, 1, run); v != "run" {
			t.Fatalf("Expire panicked with %v", v)
		}
		if got := r.take(); got != "[a]" {
			t.Fatalf("ran %s", got)
		}
		// b was handed to run and counts as fired even though run dropped it.
		expectExpire(t, q, &r, 1, "[c]")
	})
}

func TestExpireFromCallbackPanics(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		var inner any
		q.Add(1, func() {
			defer func() { inner = recover() }()
			q.Expire(1, nil)
		})
		q.Add(1, r.f("b"))
		q.Expire(1, nil)
		if inner != "timer: Expire called from a timer callback" {
			t.Fatalf("nested Expire panicked with %v", inner)
		}
		if got := r.take(); got != "[b]" {
			t.Fatalf("ran %s", got)
		}
	})
}

func TestNilFuncPanics(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		defer func() {
			if v := recover(); v != "timer: nil func" {
				t.Fatalf("Add(nil) panicked with %v", v)
			}
		}()
		q.Add(1, nil)
	})
}

func TestZeroTimer(t *testing.T) {
	var tm timer.Timer
	if tm.Stop() || tm.Pending() {
		t.Fatal("zero Timer claims to be pending")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Reset of a zero Timer did not panic")
		}
	}()
	tm.Reset(1)
}

func TestTimerSize(t *testing.T) {
	// The handle is allocated once per Add; 48 bytes is a malloc size class.
	if s := unsafe.Sizeof(timer.Timer{}); s > 48 {
		t.Fatalf("Timer is %d bytes, want at most 48", s)
	}
}

func TestHeapShrinksAfterBurst(t *testing.T) {
	var q timer.Queue
	for i := range 100_000 {
		q.Add(int64(i), func() {})
	}
	big := q.HeapCap()
	q.Expire(99_990, nil)
	for range 10 {
		q.Expire(99_990, nil)
	}
	if c := q.HeapCap(); c >= big/4 {
		t.Fatalf("heap capacity %d after the burst, was %d", c, big)
	}
	if q.Len() != 9 {
		t.Fatalf("Len = %d, want 9", q.Len())
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestDeadline(t *testing.T) {
	for _, c := range []struct {
		now  int64
		d    time.Duration
		want int64
	}{
		{100, 5, 105},
		{100, -5, 95},
		{-100, 0, -100},
		{0, math.MaxInt64, math.MaxInt64},
		{1, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 - 10, time.Hour, math.MaxInt64},
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64, -1, math.MaxInt64 - 1},
		{-1, math.MinInt64, math.MinInt64},
		{math.MinInt64 + 10, -time.Hour, math.MinInt64},
		{math.MinInt64, 1, math.MinInt64 + 1},
		{math.MinInt64, math.MaxInt64, -1},
	} {
		if got := timer.Deadline(c.now, c.d); got != c.want {
			t.Errorf("Deadline(%d, %d) = %d, want %d", c.now, int64(c.d), got, c.want)
		}
	}
}

func TestFarDeadlineDoesNotFire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		now := int64(time.Hour)
		q.Add(timer.Deadline(now, math.MaxInt64), r.f("forever"))
		q.Add(timer.Deadline(now, time.Millisecond), r.f("soon"))
		expectExpire(t, q, &r, now+int64(time.Millisecond), "[soon]")
		expectExpire(t, q, &r, math.MaxInt64-1, "[]")
		expectExpire(t, q, &r, math.MaxInt64, "[forever]")
	})
}

func TestStoppedTimersDoNotAccumulate(t *testing.T) {
	var q timer.Queue
	var keep []*timer.Timer
	for i := range 10_000 {
		tm := q.Add(int64(i%977), func() {})
		if i%10 == 0 {
			keep = append(keep, tm)
		} else {
			tm.Stop()
		}
	}
	for i := range 10_000 { // re-arming leaves stale entries too
		keep[i%len(keep)].Reset(int64(i % 13))
	}
	if q.Len() != len(keep) {
		t.Fatalf("Len = %d, want %d", q.Len(), len(keep))
	}
	if n := q.HeapLen(); n > 2*len(keep)+64 {
		t.Fatalf("heap holds %d entries for %d pending timers", n, len(keep))
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if n := q.Expire(1000, nil); n != len(keep) {
		t.Fatalf("Expire fired %d, want %d", n, len(keep))
	}
}
