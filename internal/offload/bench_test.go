package offload_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

// workers is the pool size every implementation gets: New(0)'s default.
func benchWorkers() int { return max(4, runtime.GOMAXPROCS(0)) }

// chanPool is the plain baseline: a fixed set of workers reading a channel.
// Its buffer bounds the queue, so a producer that outruns it blocks.
type chanPool struct {
	ch   chan func()
	done chan struct{}
}

func newChanPool(workers int) *chanPool {
	c := &chanPool{ch: make(chan func(), 256), done: make(chan struct{})}
	left := atomic.Int32{}
	left.Store(int32(workers))
	for range workers {
		go func() {
			for f := range c.ch {
				f()
			}
			if left.Add(-1) == 0 {
				close(c.done)
			}
		}()
	}
	return c
}

func (c *chanPool) close() { close(c.ch); <-c.done }

// BenchmarkOffload_Submit measures handing a function to another goroutine
// and learning it ran, from the submitter's side.
//
// load=stream submits b.N functions back to back and waits for the last:
// the per-function cost when work keeps coming. load=single submits one
// function and waits for it before the next: every function finds the pool
// idle, so weft pays a goroutine start each time, where the channel pool
// wakes a parked worker.
func BenchmarkOffload_Submit(b *testing.B) {
	impls := []struct {
		name   string
		submit func(b *testing.B) (submit func(func()), stop func())
	}{
		{"weft", func(b *testing.B) (func(func()), func()) {
			p := offload.New(benchWorkers())
			return func(f func()) {
					if err := p.Submit(f); err != nil {
						b.Fatal(err)
					}
				}, func() {
					if err := p.Close(); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(p.Stats().Started)/float64(b.N), "starts/op")
				}
		}},
		{"go", func(*testing.B) (func(func()), func()) {
			return func(f func()) { go f() }, func() {}
		}},
		{"chan", func(*testing.B) (func(func()), func()) {
			c := newChanPool(benchWorkers())
			return func(f func()) { c.ch <- f }, c.close
		}},
	}
	for _, load := range []string{"stream", "single"} {
		for _, impl := range impls {
			b.Run("load="+load+"/impl="+impl.name, func(b *testing.B) {
				submit, stop := impl.submit(b)
				defer stop()
				b.ReportAllocs()
				if load == "stream" {
					var left atomic.Int64
					left.Store(int64(b.N))
					done := make(chan struct{})
					f := func() {
						if left.Add(-1) == 0 {
							close(done)
						}
					}
					b.ResetTimer()
					for range b.N {
						submit(f)
					}
					<-done
					return
				}
				done := make(chan struct{}, 1)
				f := func() { done <- struct{}{} }
				b.ResetTimer()
				for range b.N {
					submit(f)
					<-done
				}
			})
		}
	}
}

// BenchmarkOffload_Do measures the round trip loop → worker → loop: a task
// on the loop hands work off and its continuation runs back on the loop.
// inflight=1 is one call at a time (latency); inflight=64 keeps 64 calls
// going (throughput). The baselines carry the result back with loop.Post
// too: impl=go starts a goroutine per call, impl=chan sends to fixed workers.
func BenchmarkOffload_Do(b *testing.B) {
	work := func() {}
	impls := []struct {
		name string
		// start returns do(work, then), which hands work off and Posts then
		// back to l, and a stop.
		start func(b *testing.B, l *loop.Loop) (func(work func(), then func(error)), func())
	}{
		{"weft", func(b *testing.B, l *loop.Loop) (func(func(), func(error)), func()) {
			p := offload.New(benchWorkers())
			return func(work func(), then func(error)) {
				if err := offload.Do(p, l, work, then); err != nil {
					b.Error(err)
				}
			}, func() { p.Close() }
		}},
		{"go", func(b *testing.B, l *loop.Loop) (func(func(), func(error)), func()) {
			return func(work func(), then func(error)) {
				go func() {
					work()
					l.Post(func() { then(nil) })
				}()
			}, func() {}
		}},
		{"chan", func(b *testing.B, l *loop.Loop) (func(func(), func(error)), func()) {
			c := newChanPool(benchWorkers())
			return func(work func(), then func(error)) {
				// Never blocks here: at most 64 calls are in flight and the
				// channel holds 256.
				c.ch <- func() {
					work()
					l.Post(func() { then(nil) })
				}
			}, c.close
		}},
	}
	for _, inflight := range []int{1, 64} {
		for _, impl := range impls {
			name := "inflight=1"
			if inflight == 64 {
				name = "inflight=64"
			}
			b.Run(name+"/impl="+impl.name, func(b *testing.B) {
				l, err := loop.New()
				if err != nil {
					b.Fatal(err)
				}
				go l.Run()
				defer l.Close()
				do, stop := impl.start(b, l)
				defer stop()

				done := make(chan struct{})
				started, finished := 0, 0 // loop state
				var then func(error)
				then = func(error) {
					finished++
					if finished == b.N {
						close(done)
						return
					}
					if started < b.N {
						started++
						do(work, then)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				l.Post(func() {
					for started < min(inflight, b.N) {
						started++
						do(work, then)
					}
				})
				<-done
			})
		}
	}
}
