//go:build linux || darwin || freebsd || netbsd || openbsd

package fiber_test

import (
	"context"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/loop"
)

// Each benchmark runs weft beside the plain-Go way of doing the same with
// goroutines: a channel hand-off for a switch, go + sync.WaitGroup for a
// spawn, a goroutine blocked on a channel for a parked fiber. The weft side
// runs inside fiber.Run, on the loop, with b.Loop called from the fiber.
// docs/fiber.md explains the figures; docs/benchmarks.md has them.

// cpuClock measures the CPU time the whole process uses (every thread:
// the loop, other goroutines, the garbage collector) over the timed part
// of a benchmark, reported as cpu-ns/op, as in future/bench_test.go: it
// leaves out the time other tenants hold the cores on a shared machine.
type cpuClock struct{ start, total time.Duration }

func benchCPUNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) Start() { c.start = benchCPUNow() }
func (c *cpuClock) Stop()  { c.total += benchCPUNow() - c.start }

func (c *cpuClock) Report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// benchLoop runs body in a b.Loop loop, timing its CPU too.
func benchLoop(b *testing.B, body func()) {
	var cpu cpuClock
	cpu.Start()
	for b.Loop() {
		body()
	}
	cpu.Stop()
	cpu.Report(b)
}

// benchRun runs main as the main fiber of a new loop and fails b if Run
// returns an error.
func benchRun(b *testing.B, main func(ctx context.Context) error) {
	b.Helper()
	if err := fiber.Run(context.Background(), main); err != nil {
		b.Fatal(err)
	}
}

// chanPingPong is the goroutine baseline of a switch round trip: the
// benchmark's goroutine hands a token to another goroutine over an
// unbuffered channel and waits for it to come back on another one. One op
// is one round trip: two goroutine switches.
func chanPingPong(b *testing.B) {
	req, resp := make(chan struct{}), make(chan struct{})
	go func() {
		for range req {
			resp <- struct{}{}
		}
	}()
	defer close(req)
	b.ReportAllocs()
	benchLoop(b, func() {
		req <- struct{}{}
		<-resp
	})
}

// BenchmarkCoroutine_Switch is the measurement behind the design: the raw
// runtime coroutine switch that fibers are built on (iter.Pull: one next()
// runs the coroutine to its next yield and comes back, a round trip of two
// switches that never enter the scheduler) against the same round trip
// between two goroutines over unbuffered channels.
func BenchmarkCoroutine_Switch(b *testing.B) {
	b.Run("impl=iterpull", func(b *testing.B) {
		next, stop := iter.Pull(func(yield func(int) bool) {
			for yield(0) {
			}
		})
		defer stop()
		b.ReportAllocs()
		benchLoop(b, func() { next() })
	})
	b.Run("impl=chan", chanPingPong)
}

// BenchmarkFiber_Switch measures a switch round trip through the loop,
// against the goroutine channel ping-pong (impl=chan, the same code as in
// BenchmarkCoroutine_Switch).
//
//   - impl=weft: one fiber calls Yield: it queues its resumption on the
//     loop's ready queue and parks, the loop runs the resumption, which
//     switches back to it. One op is one park + resume through the ready
//     queue: fiber → loop → fiber.
//   - impl=weft-pingpong: two fibers take turns with Yield. One op is one
//     turn each (fiber A → loop → B → loop → A), the shape of the channel
//     ping-pong between two goroutines; it is two park + resumes.
//   - impl=weft-wake: the same turns, but each fiber parks in Suspend and is
//     woken by the other through its Waiter (the path of weft/sync's
//     primitives): A wakes B and parks, B wakes A and parks.
func BenchmarkFiber_Switch(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, func(ctx context.Context) error {
			benchLoop(b, func() { _ = fiber.Yield(ctx) })
			return nil
		})
	})
	b.Run("impl=weft-pingpong", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, func(ctx context.Context) error {
			stop := false
			other := fiber.Go(ctx, func(ctx context.Context) (int, error) {
				n := 0
				for !stop {
					if err := fiber.Yield(ctx); err != nil {
						return n, err
					}
					n++
				}
				return n, nil
			})
			_ = fiber.Yield(ctx) // let the other fiber start
			benchLoop(b, func() { _ = fiber.Yield(ctx) })
			stop = true
			n, err := fiber.Await(ctx, other)
			if err == nil && n < b.N {
				b.Errorf("the other fiber took %d turns for %d", n, b.N)
			}
			return err
		})
	})
	b.Run("impl=weft-wake", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, func(ctx context.Context) error {
			var wa, wb fiber.Waiter
			setA := func(w fiber.Waiter) { wa = w }
			setB := func(w fiber.Waiter) { wb = w }
			stop := false
			other := fiber.Go(ctx, func(ctx context.Context) (int, error) {
				n := 0
				for {
					if err := fiber.Suspend(ctx, "pong", setB); err != nil {
						return n, err
					}
					if stop {
						return n, nil
					}
					n++
					wa.Wake()
				}
			})
			_ = fiber.Yield(ctx) // the other fiber parks, wb is set
			benchLoop(b, func() {
				wb.Wake()
				_ = fiber.Suspend(ctx, "ping", setA)
			})
			stop = true
			wb.Wake()
			n, err := fiber.Await(ctx, other)
			if err == nil && n != b.N {
				b.Errorf("the other fiber woke %d times for %d", n, b.N)
			}
			return err
		})
	})
	b.Run("impl=chan", chanPingPong)
}

// BenchmarkFiber_SwitchParts takes Fiber_Switch/impl=weft apart:
//
//   - part=queue: the floor of any design that parks and resumes through a
//     ready queue: an iter.Pull coroutine that queues itself on a minimal
//     slice queue of jobs and yields, the caller popping and resuming it,
//     with the loop's ownership handed over (an atomic store of the
//     goroutine identity) on both sides, as weft does. No loop around it.
//   - part=turn: one turn of a weft loop that runs one task and nothing
//     else: a job that schedules itself again, with no coroutine switch.
func BenchmarkFiber_SwitchParts(b *testing.B) {
	b.Run("part=queue", func(b *testing.B) {
		var owner atomic.Uintptr
		var queue []*floorFiber
		f := &floorFiber{}
		loopID := gid.Current()
		owner.Store(loopID)
		f.next, f.stop = iter.Pull(func(yield func(struct{}) bool) {
			f.id = gid.Current()
			if !yield(struct{}{}) {
				return
			}
			benchLoop(b, func() {
				queue = append(queue, f)
				owner.Store(loopID)
				yield(struct{}{})
			})
			owner.Store(loopID)
		})
		defer f.stop()
		f.next() // to the first yield, where the coroutine knows its identity
		b.ReportAllocs()
		queue = append(queue, f)
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[:copy(queue, queue[1:])]
			owner.Store(g.id)
			g.next()
		}
	})
	b.Run("part=turn", func(b *testing.B) {
		l, err := loop.New()
		if err != nil {
			b.Fatal(err)
		}
		j := &selfJob{l: l, b: b}
		l.ScheduleJob(j)
		b.ReportAllocs()
		j.cpu.Start()
		if err := l.Run(); err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	})
}

// floorFiber is BenchmarkFiber_SwitchParts' stand-in for a fiber.
type floorFiber struct {
	next func() (struct{}, bool)
	stop func()
	id   uintptr
}

// selfJob is a loop task that schedules itself again until b.Loop says
// stop: one loop turn per op.
type selfJob struct {
	l   *loop.Loop
	b   *testing.B
	cpu cpuClock
}

func (j *selfJob) Run() {
	if j.b.Loop() {
		j.l.ScheduleJob(j)
		return
	}
	j.cpu.Stop()
	j.cpu.Report(j.b)
	j.l.Stop()
}

func nop(context.Context) (struct{}, error) { return struct{}{}, nil }
func nopErr(context.Context) error          { return nil }

// spawnBatch is how many fibers or goroutines the n=64 variants start
// before waiting for them all.
const spawnBatch = 64

// BenchmarkFiber_Spawn measures starting a fiber that does nothing and
// waiting for it to finish, against go + sync.WaitGroup. With n=1 each
// spawn is awaited before the next (fiber.Go + Await; wg.Add, go, Wait);
// with n=64 the spawns are awaited 64 at a time, with Await on each future
// (impl=weft), with a Group (impl=weft-group) or with one wg.Wait
// (impl=go-waitgroup). One op is one spawn. The goroutine baseline is the
// cheapest form: its function value is made once, so `go` allocates
// nothing.
func BenchmarkFiber_Spawn(b *testing.B) {
	b.Run("n=1/impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, func(ctx context.Context) error {
			benchLoop(b, func() { _, _ = fiber.Await(ctx, fiber.Go(ctx, nop)) })
			return nil
		})
	})
	b.Run("n=1/impl=go-waitgroup", func(b *testing.B) {
		var wg sync.WaitGroup
		done := wg.Done
		b.ReportAllocs()
		benchLoop(b, func() {
			wg.Add(1)
			go done()
			wg.Wait()
		})
	})
	spawn64 := func(b *testing.B) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			fs := make([]*future.Future[struct{}], 0, spawnBatch)
			awaitAll := func() {
				for _, f := range fs {
					_, _ = fiber.Await(ctx, f)
				}
				fs = fs[:0]
			}
			benchLoop(b, func() {
				fs = append(fs, fiber.Go(ctx, nop))
				if len(fs) == spawnBatch {
					awaitAll()
				}
			})
			awaitAll()
			return nil
		}
	}
	b.Run("n=64/impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, spawn64(b))
	})
	// The same under a parent context that can be cancelled, as a
	// server's is: each fiber counts on its parent's shared watch.
	b.Run("n=64/impl=weft-cancellable", func(b *testing.B) {
		b.ReportAllocs()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := fiber.Run(ctx, spawn64(b)); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("n=64/impl=weft-group", func(b *testing.B) {
		b.ReportAllocs()
		benchRun(b, func(ctx context.Context) error {
			var g *fiber.Group
			n := 0
			benchLoop(b, func() {
				if g == nil {
					g, _ = fiber.NewGroup(ctx)
				}
				g.Go(nopErr)
				if n++; n == spawnBatch {
					_ = g.Wait()
					g, n = nil, 0
				}
			})
			if g != nil {
				return g.Wait()
			}
			return nil
		})
	})
	b.Run("n=64/impl=go-waitgroup", func(b *testing.B) {
		var wg sync.WaitGroup
		done := wg.Done
		n := 0
		b.ReportAllocs()
		benchLoop(b, func() {
			wg.Add(1)
			go done()
			if n++; n == spawnBatch {
				wg.Wait()
				n = 0
			}
		})
		wg.Wait()
	})
}

// parkedN is how many fibers or goroutines BenchmarkFiber_Parked parks.
const parkedN = 10_000

// memInUse returns the heap and stack memory in use after a collection.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// parkedMetrics accumulates the memory of parkedN parked fibers or
// goroutines: the growth of HeapInuse and of StackInuse from before they
// were started to when all of them are parked, both after a collection.
type parkedMetrics struct{ heap, stack []float64 }

func (m *parkedMetrics) add(h0, s0, h1, s1 uint64) {
	m.heap = append(m.heap, (float64(h1)-float64(h0))/parkedN)
	m.stack = append(m.stack, (float64(s1)-float64(s0))/parkedN)
}

// report reports the last round's figures: by then the runtime has
// goroutine descriptors to reuse from the previous rounds, as a program
// that has run this many fibers or goroutines before does (see
// BenchmarkFiber_Parked).
func (m *parkedMetrics) report(b *testing.B) {
	n := len(m.heap)
	if n == 0 {
		return
	}
	h, s := m.heap[n-1], m.stack[n-1]
	b.ReportMetric(h, "heap-B/fiber")
	b.ReportMetric(s, "stack-B/fiber")
	b.ReportMetric(h+s, "B/fiber")
}

// BenchmarkFiber_Parked measures the memory a parked fiber holds: one op
// starts 10,000 fibers (fiber.Go) that park in Suspend, measures, wakes
// them and waits for them, on a new loop each time (so each round makes
// new coroutines; only the runtime's goroutine descriptors are reused).
// impl=goroutine does the same with 10,000 goroutines blocked on a channel
// receive. The metrics are per fiber or goroutine, from the last round:
// heap-B/fiber (HeapInuse growth: the fiber's objects, its coroutine's and
// its future), stack-B/fiber (StackInuse growth: the goroutine stack under
// the coroutine) and B/fiber, their sum. ns/op is the time to start, park,
// wake and finish the 10,000, the two collections and the readings left
// out.
//
// The first round in a process also counts a new goroutine descriptor per
// fiber (about 500 bytes), which the runtime never frees and reuses later:
// run with -benchtime=1x in a fresh process to see it. The stack figure is
// the runtime's starting stack size, 2 KiB, or 4 KiB or more when adaptive
// starting stacks (GODEBUG adaptivestackstart, on by default) have seen
// deep stacks at the last collection; set adaptivestackstart=0 to compare
// what fibers and goroutines need rather than what the runtime guessed.
func BenchmarkFiber_Parked(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		var m parkedMetrics
		for b.Loop() {
			benchRun(b, func(ctx context.Context) error {
				ws := make([]fiber.Waiter, parkedN)
				fs := make([]*future.Future[struct{}], parkedN)
				b.StopTimer()
				h0, s0 := memInUse()
				b.StartTimer()
				for i := range parkedN {
					fs[i] = fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
						return struct{}{}, fiber.Suspend(ctx, "parked", func(w fiber.Waiter) { ws[i] = w })
					})
				}
				_ = fiber.Yield(ctx) // the ready queue is FIFO: all of them run and park first
				b.StopTimer()
				h1, s1 := memInUse()
				m.add(h0, s0, h1, s1)
				b.StartTimer()
				for _, w := range ws {
					if !w.Wake() {
						b.Error("a fiber was not parked")
					}
				}
				for _, f := range fs {
					if _, err := fiber.Await(ctx, f); err != nil {
						return err
					}
				}
				return nil
			})
		}
		m.report(b)
	})
	b.Run("impl=goroutine", func(b *testing.B) {
		var m parkedMetrics
		for b.Loop() {
			ch := make(chan struct{})
			var started, done sync.WaitGroup
			started.Add(parkedN)
			done.Add(parkedN)
			b.StopTimer()
			h0, s0 := memInUse()
			b.StartTimer()
			for range parkedN {
				go func() {
					started.Done()
					<-ch
					done.Done()
				}()
			}
			started.Wait()
			b.StopTimer()
			h1, s1 := memInUse()
			m.add(h0, s0, h1, s1)
			b.StartTimer()
			close(ch)
			done.Wait()
		}
		m.report(b)
	})
}
