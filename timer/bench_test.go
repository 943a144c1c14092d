package timer_test

import (
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/timer"
)

// The benchmarks compare Queue (the 4-ary heap), the timing wheel kept in
// wheel_test.go, and time.AfterFunc as the plain-Go baseline. docs/timers.md
// records the results and the commands that produced them.

// base is the loop's clock when a benchmark starts: far from zero, as a
// monotonic clock would be, so that nothing is special about small values.
const base = int64(1) << 50

var nop = func() {}

// deadlines returns n deadlines spread uniformly over [from, from+span),
// always the same for a given n so that every implementation sees the same.
func deadlines(n int, from, span int64) []int64 {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	ws := make([]int64, n)
	for i := range ws {
		ws[i] = from + rng.Int64N(span)
	}
	return ws
}

var pendings = []int{0, 10_000}

// BenchmarkQueue_AddCancel arms a timeout and cancels it before it fires,
// the common fate of an I/O timeout, with and without a background of
// pending timers (a realistic loop has thousands of idle connections).
func BenchmarkQueue_AddCancel(b *testing.B) {
	const (
		popFrom = int64(60 * time.Second)
		popSpan = int64(60 * time.Second)
		timeout = int64(90 * time.Second) // lands in the middle of them
	)
	for _, pending := range pendings {
		name := "/pending=" + strconv.Itoa(pending)
		ws := deadlines(pending, popFrom, popSpan)
		b.Run("impl=heap"+name, func(b *testing.B) {
			var q timer.Queue
			q.Expire(base, nil)
			for _, w := range ws {
				q.Add(base+w, nop)
			}
			for b.Loop() {
				q.Add(base+timeout, nop).Stop()
			}
		})
		b.Run("impl=wheel"+name, func(b *testing.B) {
			var q wheel
			q.expire(base, nil)
			for _, w := range ws {
				q.add(base+w, nop)
			}
			for b.Loop() {
				q.add(base+timeout, nop).Stop()
			}
		})
		b.Run("impl=time.AfterFunc"+name, func(b *testing.B) {
			bg := make([]*time.Timer, len(ws))
			for i, w := range ws {
				bg[i] = time.AfterFunc(time.Duration(w), nop)
			}
			for b.Loop() {
				time.AfterFunc(time.Duration(timeout), nop).Stop()
			}
			for _, t := range bg {
				t.Stop()
			}
		})
	}
}

// BenchmarkQueue_Reset pushes back a pending timeout, as a connection does
// with its idle timeout on every read: one kept timer is re-armed a little
// later each time, with 10,000 other timers pending. Baseline: Reset of a
// pending time.Timer.
func BenchmarkQueue_Reset(b *testing.B) {
	const (
		popFrom = int64(60 * time.Second)
		popSpan = int64(60 * time.Second)
		timeout = int64(90 * time.Second)
	)
	ws := deadlines(10_000, popFrom, popSpan)
	b.Run("impl=heap/pending=10000", func(b *testing.B) {
		var q timer.Queue
		for _, w := range ws {
			q.Add(base+w, nop)
		}
		t := q.Add(base+timeout, nop)
		when := base + timeout
		for b.Loop() {
			when++
			t.Reset(when)
		}
	})
	b.Run("impl=wheel/pending=10000", func(b *testing.B) {
		var q wheel
		q.expire(base, nil)
		for _, w := range ws {
			q.add(base+w, nop)
		}
		t := q.add(base+timeout, nop)
		when := base + timeout
		for b.Loop() {
			when++
			t.Reset(when)
		}
	})
	b.Run("impl=time.AfterFunc/pending=10000", func(b *testing.B) {
		bg := make([]*time.Timer, len(ws))
		for i, w := range ws {
			bg[i] = time.AfterFunc(time.Duration(w), nop)
		}
		t := time.AfterFunc(time.Duration(timeout), nop)
		for b.Loop() {
			t.Reset(time.Duration(timeout))
		}
		t.Stop()
		for _, t := range bg {
			t.Stop()
		}
	})
}

// BenchmarkQueue_Fire1M adds a million timers spread over one millisecond and
// fires them all, the queue stepping its clock one microsecond per Expire as
// a busy loop would. One op is the whole million; ns/timer is per timer.
func BenchmarkQueue_Fire1M(b *testing.B) {
	const (
		n    = 1_000_000
		span = int64(time.Millisecond)
		step = int64(time.Microsecond)
	)
	ws := deadlines(n, 0, span)
	perTimer := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/timer")
	}
	b.Run("impl=heap", func(b *testing.B) {
		var q timer.Queue
		now := base
		fired := 0
		count := func() { fired++ }
		for b.Loop() {
			for _, w := range ws {
				q.Add(now+w, count)
			}
			for end := now + span; now < end; {
				now += step
				q.Expire(now, nil)
			}
		}
		if fired != b.N*n {
			b.Fatalf("fired %d of %d", fired, b.N*n)
		}
		perTimer(b)
	})
	b.Run("impl=wheel", func(b *testing.B) {
		var q wheel
		now := base
		fired := 0
		count := func() { fired++ }
		for b.Loop() {
			for _, w := range ws {
				q.add(now+w, count)
			}
			for end := now + span; now < end; {
				now += step
				q.expire(now, nil)
			}
		}
		if fired != b.N*n {
			b.Fatalf("fired %d of %d", fired, b.N*n)
		}
		perTimer(b)
	})
	b.Run("impl=time.AfterFunc", func(b *testing.B) {
		var fired atomic.Int64
		done := make(chan struct{})
		count := func() {
			if fired.Add(1) == n {
				done <- struct{}{}
			}
		}
		for b.Loop() {
			fired.Store(0)
			for _, w := range ws {
				time.AfterFunc(time.Duration(w), count)
			}
			<-done
		}
		perTimer(b)
	})
}

// BenchmarkQueue_AddExpire is the steady state of a loop whose timers do
// fire: 10,000 pending, and each op arms one more and fires the earliest.
// The time.AfterFunc baseline arms a timer that is already due and waits for
// it, which is the latency a goroutine pays to have its callback run.
func BenchmarkQueue_AddExpire(b *testing.B) {
	const (
		pending = 10_000
		step    = int64(time.Microsecond)
	)
	b.Run("impl=heap", func(b *testing.B) {
		var q timer.Queue
		now := base
		for i := range pending {
			q.Add(now+int64(i+1)*step, nop)
		}
		for b.Loop() {
			q.Add(now+(pending+1)*step, nop)
			now += step
			if q.Expire(now, nil) != 1 {
				b.Fatal("Expire did not fire exactly one timer")
			}
		}
	})
	b.Run("impl=wheel", func(b *testing.B) {
		var q wheel
		now := base
		q.expire(now, nil)
		for i := range pending {
			q.add(now+int64(i+1)*step, nop)
		}
		for b.Loop() {
			q.add(now+(pending+1)*step, nop)
			now += step
			if q.expire(now, nil) != 1 {
				b.Fatal("Expire did not fire exactly one timer")
			}
		}
	})
	b.Run("impl=time.AfterFunc", func(b *testing.B) {
		bg := make([]*time.Timer, pending)
		for i := range bg {
			bg[i] = time.AfterFunc(time.Hour+time.Duration(i), nop)
		}
		done := make(chan struct{})
		signal := func() { done <- struct{}{} }
		for b.Loop() {
			time.AfterFunc(0, signal)
			<-done
		}
		for _, t := range bg {
			t.Stop()
		}
	})
}

var sinkWhen int64

// BenchmarkQueue_Next is the loop asking for its poll timeout with 10,000
// timers pending. The heap answers with one load whatever happens; the wheel
// walks its level bitmaps and caches the answer, but once the earliest
// timer is stopped it must rescan the earliest slot. The stop-earliest
// sub-benchmarks stop the earliest timer, ask, and add it again: deadlines
// spread over a minute, or clustered in 10 ms as when a burst of requests
// armed their timeouts together and finish in the order they started.
func BenchmarkQueue_Next(b *testing.B) {
	const pending = 10_000
	spread := deadlines(pending, 0, int64(time.Minute))
	clustered := make([]int64, pending)
	for i := range clustered {
		clustered[i] = int64(time.Minute) + int64(i)*int64(time.Microsecond)
	}
	earliest := func(ws []int64) int {
		e := 0
		for i, w := range ws {
			if w < ws[e] {
				e = i
			}
		}
		return e
	}
	b.Run("impl=heap", func(b *testing.B) {
		var q timer.Queue
		for _, w := range spread {
			q.Add(base+w, nop)
		}
		for b.Loop() {
			sinkWhen, _ = q.Next()
		}
	})
	b.Run("impl=wheel", func(b *testing.B) {
		var q wheel
		q.expire(base, nil)
		for _, w := range spread {
			q.add(base+w, nop)
		}
		for b.Loop() {
			sinkWhen, _ = q.next()
		}
	})
	for _, c := range []struct {
		name string
		ws   []int64
	}{{"spread", spread}, {"clustered", clustered}} {
		e := earliest(c.ws)
		b.Run("impl=heap/stop-earliest="+c.name, func(b *testing.B) {
			var q timer.Queue
			hs := make([]timer.Timer, len(c.ws))
			for i, w := range c.ws {
				hs[i] = q.Add(base+w, nop)
			}
			t, w := hs[e], base+c.ws[e]
			for b.Loop() {
				t.Stop()
				sinkWhen, _ = q.Next()
				t = q.Add(w, nop)
			}
		})
		b.Run("impl=wheel/stop-earliest="+c.name, func(b *testing.B) {
			var q wheel
			q.expire(base, nil)
			hs := make([]wheelTimer, len(c.ws))
			for i, w := range c.ws {
				hs[i] = q.add(base+w, nop)
			}
			t, w := hs[e], base+c.ws[e]
			for b.Loop() {
				t.Stop()
				sinkWhen, _ = q.next()
				t = q.add(w, nop)
			}
		})
	}
}
