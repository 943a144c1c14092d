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

func TestSelfReAddFiresOncePerExpire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		runs := 0
		var tm handle
		var tick func()
		tick = func() {
			runs++
			if tm.Pending() || tm.Reset(0) {
				t.Error("a timer is still live inside its own callback")
			}
			tm = q.Add(0, tick) // a past deadline: must not loop inside Expire
		}
		tm = q.Add(0, tick)
		for i := 1; i <= 3; i++ {
			if n := q.Expire(100, nil); n != 1 || runs != i {
				t.Fatalf("Expire #%d fired %d, total runs %d", i, n, runs)
			}
		}
		if !tm.Pending() || q.Len() != 1 {
			t.Fatalf("re-added timer: pending %v, Len %d", tm.Pending(), q.Len())
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

// expectDead checks that every method of a dead handle does nothing.
func expectDead(t *testing.T, q queue, r *recorder, h handle, why string) {
	t.Helper()
	n := q.Len()
	if h.Pending() || h.When() != 0 {
		t.Fatalf("%s: Pending %v, When %d", why, h.Pending(), h.When())
	}
	if h.Reset(7) {
		t.Fatalf("%s: Reset returned true", why)
	}
	if h.Stop() {
		t.Fatalf("%s: Stop returned true", why)
	}
	if q.Len() != n {
		t.Fatalf("%s: Len went from %d to %d", why, n, q.Len())
	}
	expectExpire(t, q, r, 100, "[]") // the Reset armed nothing
}

func TestDeadAfterFire(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		a := q.Add(1, r.f("a"))
		if !a.Pending() || a.When() != 1 {
			t.Fatalf("new timer: Pending %v, When %d", a.Pending(), a.When())
		}
		expectExpire(t, q, &r, 1, "[a]")
		expectDead(t, q, &r, a, "after fire")
	})
}

func TestDeadAfterStop(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		a := q.Add(50, r.f("a"))
		if !a.Reset(60) || a.When() != 60 {
			t.Fatal("Reset of a pending timer failed")
		}
		if !a.Stop() {
			t.Fatal("Stop of a pending timer returned false")
		}
		expectDead(t, q, &r, a, "after Stop")
	})
}

func TestStaleHandleCannotTouchNewTimer(t *testing.T) {
	eachImpl(t, func(t *testing.T, q queue) {
		var r recorder
		// Churn one slot many times, keeping every handle: only the
		// last may act, though they all name the same memory.
		var old []handle
		for range 100 {
			h := q.Add(5, r.f("old"))
			old = append(old, h)
			if len(old)%2 == 0 {
				h.Stop()
			} else {
				expectExpire(t, q, &r, 5, "[old]")
			}
		}
		b := q.Add(5, r.f("b"))
		for _, h := range old {
			if h.Stop() || h.Reset(1) || h.Pending() {
				t.Fatal("an old handle acted on the new timer")
			}
		}
		if !b.Pending() || b.When() != 5 {
			t.Fatalf("new timer: Pending %v, When %d", b.Pending(), b.When())
		}
		expectExpire(t, q, &r, 5, "[b]")
	})
}

func TestSlotReuse(t *testing.T) {
	var q timer.Queue
	a := q.Add(5, func() {})
	a.Stop()
	b := q.Add(6, func() {})
	if timer.SlotOf(a) != timer.SlotOf(b) {
		t.Fatalf("Add took slot %d, the free one is %d", timer.SlotOf(b), timer.SlotOf(a))
	}
	if a == b {
		t.Fatal("a handle on a reused slot equals the old one")
	}
	if a.Stop() || a.Pending() || a.Reset(1) || !b.Pending() || b.When() != 6 {
		t.Fatal("the old handle acted on the timer in its slot")
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestAddInCallbackReusesSlot(t *testing.T) {
	var q timer.Queue
	var a, b timer.Timer
	ran := ""
	a = q.Add(1, func() {
		ran += "a"
		b = q.Add(1, func() { ran += "b" })
		if timer.SlotOf(b) != timer.SlotOf(a) {
			t.Errorf("Add in the callback took slot %d, not the one just freed (%d)",
				timer.SlotOf(b), timer.SlotOf(a))
		}
		if a.Stop() || a.Pending() {
			t.Error("a timer is live inside its own callback")
		}
		if !b.Pending() || q.Len() != 1 {
			t.Errorf("Pending %v, Len %d after Add in a callback", b.Pending(), q.Len())
		}
	})
	if n := q.Expire(1, nil); n != 1 || ran != "a" {
		t.Fatalf("Expire fired %d, ran %q", n, ran)
	}
	if a.Stop() || !b.Pending() {
		t.Fatal("after Expire the old handle acts, or the new timer is gone")
	}
	if n := q.Expire(1, nil); n != 1 || ran != "ab" {
		t.Fatalf("second Expire fired %d, ran %q", n, ran)
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
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
	if tm.Stop() || tm.Pending() || tm.Reset(1) || tm.When() != 0 {
		t.Fatal("the zero Timer claims to be a timer")
	}
	var q timer.Queue
	if h := q.Add(1, func() {}); h == (timer.Timer{}) {
		t.Fatal("Add returned the zero Timer")
	}
	if tm.Stop() || q.Len() != 1 {
		t.Fatal("the zero Timer stopped a timer")
	}
}

// The loop drops its timers on close by overwriting its Queue; Timers it
// handed out must not come to name timers added afterwards.
func TestOverwrittenQueue(t *testing.T) {
	var q timer.Queue
	f := func() {}
	old := q.Add(1, f)
	q = timer.Queue{}
	if old.Pending() || old.Stop() {
		t.Fatal("a Timer outlived its Queue being overwritten")
	}
	h := q.Add(1, f)
	if timer.SlotOf(h) != timer.SlotOf(old) {
		t.Fatalf("new timer in slot %d, old one was in %d", timer.SlotOf(h), timer.SlotOf(old))
	}
	if old.Pending() || old.Stop() || !h.Pending() {
		t.Fatal("a Timer from before the overwrite names the new timer")
	}
}

func TestTimerSize(t *testing.T) {
	// Callers keep the handle by value in their own structs.
	if s := unsafe.Sizeof(timer.Timer{}); s > 24 {
		t.Fatalf("Timer is %d bytes, want at most 24", s)
	}
}

// TestNoAllocs checks the point of the slab: once the queue has grown, arming
// a timer allocates nothing, whether it is stopped or fires.
func TestNoAllocs(t *testing.T) {
	for _, pending := range []int{0, 10_000} {
		var q timer.Queue
		f := func() {}
		for i := range pending {
			q.Add(1e12+int64(i), f)
		}
		now := int64(0)
		cases := []struct {
			name string
			op   func()
		}{
			{"Add+Stop", func() { q.Add(int64(1e12), f).Stop() }},
			{"Add+Expire", func() {
				q.Add(now, f)
				if q.Expire(now, nil) != 1 {
					t.Fatal("Expire did not fire the timer")
				}
				now++
			}},
			{"Add+Reset+Stop", func() {
				h := q.Add(int64(1e12), f)
				h.Reset(int64(2e12))
				h.Stop()
			}},
		}
		for _, c := range cases {
			for range 10_000 { // warm up: grow the heap, the slab, the batch
				c.op()
			}
			if n := testing.AllocsPerRun(10_000, c.op); n != 0 {
				t.Errorf("pending=%d: %s allocates %v times per run", pending, c.name, n)
			}
		}
		if q.Len() != pending {
			t.Fatalf("Len = %d, want %d", q.Len(), pending)
		}
		if err := q.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
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

func TestSlabShrinksAfterBurst(t *testing.T) {
	var q timer.Queue
	f := func() {}
	var keep []timer.Timer
	for i := range 10 { // armed before the burst: the lowest slots
		keep = append(keep, q.Add(1e12+int64(i), f))
	}
	for i := range 100_000 {
		q.Add(int64(i), f)
	}
	big := q.SlabCap()
	q.Expire(100_000, nil)
	for range 10 {
		q.Expire(100_000, nil)
	}
	if c := q.SlabCap(); c > 8192 {
		t.Fatalf("slab capacity %d after the burst, was %d", c, big)
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	for i, h := range keep {
		if !h.Pending() || h.When() != 1e12+int64(i) {
			t.Fatalf("timer %d armed before the burst: Pending %v, When %d", i, h.Pending(), h.When())
		}
	}
	if !keep[3].Stop() || q.Len() != 9 {
		t.Fatalf("Stop after the shrink failed, Len = %d", q.Len())
	}
}

// A timer left pending in the upper half of the slab holds it; new timers
// go below meanwhile, and once it goes the slab is cut.
func TestSlabDrainsAroundPinnedTimer(t *testing.T) {
	defer timer.SetShrinkAbove(16)()
	var q timer.Queue
	f := func() {}
	for i := range 999 {
		q.Add(int64(i), f)
	}
	pinned := q.Add(1e12, f) // the highest slot
	q.Expire(1000, nil)
	n := q.SlabLen()
	for i := range 100 {
		q.Expire(1000, nil)
		h := q.Add(2000+int64(i), f) // each goes to the lowest free slot
		if s := timer.SlotOf(h); int(s) >= n/2 {
			t.Fatalf("Add while draining took slot %d of %d", s, n)
		}
		if err := q.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	if q.SlabLen() != n {
		t.Fatalf("slab cut from %d to %d under a pending timer", n, q.SlabLen())
	}
	pinned.Stop()
	q.Expire(1000, nil)
	if l := q.SlabLen(); l > n/2 {
		t.Fatalf("slab holds %d slots after the pinned timer went, was %d", l, n)
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if pinned.Pending() || q.Len() != 100 {
		t.Fatalf("after the cut: stopped timer pending %v, Len %d", pinned.Pending(), q.Len())
	}
	if got := q.Expire(3000, nil); got != 100 {
		t.Fatalf("Expire fired %d, want 100", got)
	}
}

// When the lower half fills up before the upper half drains, Add calls the
// draining off and uses the free slots above, rather than growing the slab.
func TestSlabDrainingCalledOff(t *testing.T) {
	defer timer.SetShrinkAbove(16)()
	var q timer.Queue
	f := func() {}
	for i := range 999 {
		q.Add(int64(i), f)
	}
	q.Add(1e12, f) // pins the top
	q.Expire(1000, nil)
	q.Expire(1000, nil) // starts draining
	n := q.SlabLen()
	for i := range n - 1 {
		q.Add(2000+int64(i), f)
	}
	if q.SlabLen() != n || q.Len() != n {
		t.Fatalf("slab of %d holds %d timers, was %d", q.SlabLen(), q.Len(), n)
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if got := q.Expire(1e12, nil); got != n {
		t.Fatalf("Expire fired %d, want %d", got, n)
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
	var keep []timer.Timer
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
