package loop_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// BenchmarkLoop_Post measures handing a task to another goroutine, from the
// producer's side, including the consumer running it: weft's Post into a
// running loop against a send on a buffered channel to a worker goroutine.
func BenchmarkLoop_Post(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		n := 0
		inc := func() { n++ }
		done := make(chan struct{})
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			l.Post(inc)
		}
		l.Post(func() { close(done) })
		<-done
		b.StopTimer()
		if n != b.N {
			b.Fatalf("ran %d of %d", n, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		ch := make(chan func(), 1024)
		done := make(chan struct{})
		go func() {
			for f := range ch {
				f()
			}
			close(done)
		}()
		n := 0
		inc := func() { n++ }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ch <- inc
		}
		close(ch)
		<-done
		b.StopTimer()
		if n != b.N {
			b.Fatalf("ran %d of %d", n, b.N)
		}
	})
}

// BenchmarkLoop_Microtask measures enqueueing and running one microtask, in
// batches of 1024 queued by a task, against the same through a buffered
// channel used as a queue on one goroutine.
func BenchmarkLoop_Microtask(b *testing.B) {
	const batch = 1024
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		n := 0
		inc := func() { n++ }
		done := make(chan struct{})
		left := b.N
		var task func()
		task = func() {
			k := min(left, batch)
			left -= k
			for range k {
				l.Microtask(inc)
			}
			if left > 0 {
				l.Schedule(task)
			} else {
				l.Microtask(func() { close(done) })
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		l.Post(task)
		<-done
		b.StopTimer()
		if n != b.N {
			b.Fatalf("ran %d of %d", n, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		ch := make(chan func(), batch)
		n := 0
		inc := func() { n++ }
		b.ReportAllocs()
		b.ResetTimer()
		for left := b.N; left > 0; {
			k := min(left, batch)
			left -= k
			for range k {
				ch <- inc
			}
			for range k {
				(<-ch)()
			}
		}
		b.StopTimer()
		if n != b.N {
			b.Fatalf("ran %d of %d", n, b.N)
		}
	})
}

// reportLatencies reports p50, p90 and mean of d, in ns.
func reportLatencies(b *testing.B, d []time.Duration) {
	b.Helper()
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	b.ReportMetric(float64(d[len(d)/2]), "p50-ns")
	b.ReportMetric(float64(d[len(d)*9/10]), "p90-ns")
	b.ReportMetric(float64(sum)/float64(len(d)), "mean-ns")
}

// BenchmarkLoop_Wake measures the round trip to a consumer that waits for work:
// Post to a loop, which answers on a channel, against a send to a goroutine
// blocked on a channel receive, which answers the same way. In "pingpong"
// requests follow each other at once. In "idle" the consumer has been left
// alone for 200µs before each request, so the loop is asleep in its poller
// and must be woken through it; since the pause would swamp ns/op, idle
// reports the round trip alone as p50-ns, p90-ns and mean-ns.
func BenchmarkLoop_Wake(b *testing.B) {
	type roundTrip func()
	run := func(b *testing.B, idle bool, rt roundTrip) {
		if !idle {
			b.ReportAllocs()
			for range b.N {
				rt()
			}
			return
		}
		d := make([]time.Duration, b.N)
		for i := range b.N {
			time.Sleep(200 * time.Microsecond)
			t0 := time.Now()
			rt()
			d[i] = time.Since(t0)
		}
		b.StopTimer()
		reportLatencies(b, d)
	}
	for _, mode := range []string{"idle", "pingpong"} {
		idle := mode == "idle"
		b.Run("mode="+mode+"/impl=weft", func(b *testing.B) {
			l := looptest.Start(b)
			resp := make(chan struct{})
			reply := func() { resp <- struct{}{} }
			run(b, idle, func() {
				l.Post(reply)
				<-resp
			})
		})
		b.Run("mode="+mode+"/impl=chan", func(b *testing.B) {
			req, resp := make(chan struct{}), make(chan struct{})
			go func() {
				for range req {
					resp <- struct{}{}
				}
			}()
			defer close(req)
			run(b, idle, func() {
				req <- struct{}{}
				<-resp
			})
		})
	}
}

// BenchmarkLoop_AfterFuncStop measures arming and cancelling a timer on a
// running loop (clock read included) against time.AfterFunc and Stop.
func BenchmarkLoop_AfterFuncStop(b *testing.B) {
	f := func() {}
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		done := make(chan struct{})
		b.ReportAllocs()
		b.ResetTimer()
		l.Post(func() {
			for range b.N {
				l.AfterFunc(time.Hour, f).Stop()
			}
			close(done)
		})
		<-done
	})
	b.Run("impl=time.AfterFunc", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			time.AfterFunc(time.Hour, f).Stop()
		}
	})
}

// BenchmarkLoop_Now measures reading the loop's clock, which AfterFunc does
// on every call, against time.Now.
func BenchmarkLoop_Now(b *testing.B) {
	var sink int64
	b.Run("impl=weft", func(b *testing.B) {
		l, err := loop.New()
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		for range b.N {
			sink += l.Now()
		}
	})
	b.Run("impl=time.Now", func(b *testing.B) {
		for range b.N {
			sink += time.Now().UnixNano()
		}
	})
	_ = sink
}

// stampPoller wraps the loop's poller and notes when Wake and Wait return,
// so BenchmarkLoop_WakeSplit can tell where an idle wake-up spends its time.
type stampPoller struct {
	poller.Poller
	wakeDone, waitDone atomic.Int64 // UnixNano
}

func (p *stampPoller) Wait(d time.Duration, f func(poller.Handler, poller.Events)) (int, error) {
	n, err := p.Poller.Wait(d, f)
	p.waitDone.Store(time.Now().UnixNano())
	return n, err
}

func (p *stampPoller) Wake() error {
	err := p.Poller.Wake()
	p.wakeDone.Store(time.Now().UnixNano())
	return err
}

// BenchmarkLoop_WakeSplit breaks the idle round trip of BenchmarkLoop_Wake
// down, p50 of each, from the moment Post is called: until the poller's
// Wake returns (wake-ns), until Post returns (post-ns), until the loop's
// Wait returns (wait-ns), and until the task runs (task-ns). Beside it,
// impl=chan reports when a goroutine blocked on a channel receive runs
// after the send (task-ns).
func BenchmarkLoop_WakeSplit(b *testing.B) {
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	b.Run("impl=weft", func(b *testing.B) {
		pp, err := poller.New()
		if err != nil {
			b.Fatal(err)
		}
		sp := &stampPoller{Poller: pp}
		l := looptest.Start(b, loop.WithPoller(sp))
		ran := make(chan time.Time)
		task := func() { ran <- time.Now() }
		var wake, post, wait, run []time.Duration
		for range b.N {
			time.Sleep(200 * time.Microsecond)
			t0 := time.Now()
			l.Post(task)
			posted := time.Now()
			t := <-ran
			wake = append(wake, time.Unix(0, sp.wakeDone.Load()).Sub(t0))
			post = append(post, posted.Sub(t0))
			wait = append(wait, time.Unix(0, sp.waitDone.Load()).Sub(t0))
			run = append(run, t.Sub(t0))
		}
		b.StopTimer()
		b.ReportMetric(p50(wake), "wake-ns")
		b.ReportMetric(p50(post), "post-ns")
		b.ReportMetric(p50(wait), "wait-ns")
		b.ReportMetric(p50(run), "task-ns")
	})
	b.Run("impl=chan", func(b *testing.B) {
		req, ran := make(chan struct{}), make(chan time.Time)
		go func() {
			for range req {
				ran <- time.Now()
			}
		}()
		defer close(req)
		var run []time.Duration
		for range b.N {
			time.Sleep(200 * time.Microsecond)
			t0 := time.Now()
			req <- struct{}{}
			run = append(run, (<-ran).Sub(t0))
		}
		b.StopTimer()
		b.ReportMetric(p50(run), "task-ns")
	})
}
