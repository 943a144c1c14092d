//go:build linux || darwin || freebsd || netbsd || openbsd

package future_test

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// The baselines are "goroutine + channel" futures, the plain-Go way: a
// future is a channel with room for its one value (settling never blocks),
// and a reaction is a goroutine that receives from it.
//
// On the loop, an iteration must include its reaction having run, and a
// reaction only runs once the task or microtask that made it due has
// returned. So the weft benchmarks chain: the reaction of one iteration
// calls b.Loop and starts the next one, and the last b.Loop, which stops
// the timer, is called from the last reaction. Every iteration's New,
// reaction registration, Resolve and reaction run is timed, one after the
// other, as `await` in a loop does in JavaScript. The handlers are made
// once, outside the timed loop: passing them allocates nothing, as with a
// handler that captures nothing.

// cpuTimer measures the CPU time the whole process uses (every thread: the
// loop, the other goroutines, the garbage collector) over the timed part of
// a benchmark, reported as cpu-ns/op. Unlike wall time, it leaves out the
// time other processes hold the cores on a shared machine (not their
// effect on caches).
type cpuTimer struct{ start, total time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuTimer) Start() { c.start = cpuNow() }
func (c *cpuTimer) Stop()  { c.total += cpuNow() - c.start }

func (c *cpuTimer) Report(b *testing.B) {
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// A chain runs a benchmark's iterations on a loop one after the other: the
// reaction that completes an iteration calls Next, which starts the next
// one, or ends the benchmark once b.Loop says so.
type chain struct {
	b       *testing.B
	iter    func() // one iteration, up to the reaction that calls Next
	cpu     cpuTimer
	started bool
	done    chan struct{}
}

func newChain(b *testing.B) *chain { return &chain{b: b, done: make(chan struct{})} }

// Next starts the next iteration or ends the benchmark. Loop goroutine only.
func (c *chain) Next() {
	if !c.b.Loop() {
		c.cpu.Stop()
		close(c.done)
		return
	}
	if !c.started {
		c.started = true
		c.cpu.Start()
	}
	c.iter()
}

// Run starts the chain on l and waits for its end.
func (c *chain) Run(l *loop.Loop) {
	c.b.ReportAllocs()
	if err := l.Post(c.Next); err != nil {
		c.b.Fatal(err)
	}
	<-c.done
	c.cpu.Report(c.b)
}

// BenchmarkFuture_CreateSettleReact measures making a future, attaching
// one reaction, settling it and running the reaction, all on one loop,
// against a channel future whose reaction is a goroutine waiting on it.
// impl=weft-onsettled uses OnSettled, the cheapest reaction, instead of
// Then.
func BenchmarkFuture_CreateSettleReact(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		c := newChain(b)
		ran := 0
		h := func(v int) (int, error) {
			ran++
			c.Next()
			return v + 1, nil
		}
		c.iter = func() {
			f, p := future.New[int](l)
			future.Then(f, h)
			p.Resolve(ran)
		}
		c.Run(l)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ran, b.N)
		}
	})
	b.Run("impl=weft-onsettled", func(b *testing.B) {
		l := looptest.Start(b)
		c := newChain(b)
		ran := 0
		fn := func(v int, err error) {
			ran++
			c.Next()
		}
		c.iter = func() {
			f, p := future.New[int](l)
			f.OnSettled(fn)
			p.Resolve(ran)
		}
		c.Run(l)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ran, b.N)
		}
	})
	// The floor under impl=weft on this machine: the same two heap
	// objects (48 and 64 bytes, with pointers, as Future[int] and Then's
	// node) and one microtask through the same chain, and nothing else.
	b.Run("impl=alloc-floor", func(b *testing.B) {
		l := looptest.Start(b)
		c := newChain(b)
		ran := 0
		var job floorJob
		job.fn = func() {
			ran++
			c.Next()
		}
		c.iter = func() {
			a := &floor48{l: l}
			n := &floor64{src: a}
			floorSink = n
			l.MicrotaskJob(&job)
		}
		c.Run(l)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ran, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		reacted := make(chan struct{})
		ran := 0 // touched by one reaction goroutine at a time
		h := func(v int) int {
			ran++
			return v + 1
		}
		var cpu cpuTimer
		b.ReportAllocs()
		cpu.Start()
		for b.Loop() {
			// Create, attach one reaction, settle, wait for the reaction.
			ch := make(chan int, 1)
			go func() {
				h(<-ch)
				reacted <- struct{}{}
			}()
			ch <- ran
			<-reacted
		}
		cpu.Stop()
		cpu.Report(b)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ran, b.N)
		}
	})
}

const allN = 1000

// floor48 and floor64 have the sizes and pointer layout of a Future[int]
// and of Then's node for it.
type floor48 struct {
	l     *loop.Loop
	st    [8]byte
	value int
	first loop.Job
	x     *int
}

type floor64 struct {
	floor48
	src *floor48
	h   func()
}

var floorSink *floor64

type floorJob struct{ fn func() }

func (j *floorJob) Run() { j.fn() }

// floor96 and floor128 are floor48 and floor64 before the futures were
// slimmed: the error, second reaction and adoption link inline.
type floor96 struct {
	floor48
	err     error
	more    []loop.Job
	follows *int
}

type floor128 struct {
	floor96
	src        *floor96
	h1, h2, h3 func()
}

var bigSink *floor128

// BenchmarkFuture_Alloc measures what the two objects of New + Then cost
// to allocate, the decisions of docs/future.md behind them: at their
// current sizes (48 and 64 bytes), at their first sizes (96 and 128), and
// handed out from slabs of 32 as a per-loop, per-type cache would (not
// done: a slab lives as long as any future in it).
func BenchmarkFuture_Alloc(b *testing.B) {
	b.Run("size=112/impl=heap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := &floor48{}
			floorSink = &floor64{src: a}
		}
	})
	b.Run("size=224/impl=heap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := &floor96{}
			bigSink = &floor128{src: a}
		}
	})
	b.Run("size=112/impl=slab32", func(b *testing.B) {
		b.ReportAllocs()
		var fs []floor48
		var ns []floor64
		for b.Loop() {
			if len(fs) == 0 {
				fs, ns = make([]floor48, 32), make([]floor64, 32)
			}
			a, n := &fs[0], &ns[0]
			fs, ns = fs[1:], ns[1:]
			n.src = a
			floorSink = n
		}
	})
}

// BenchmarkFuture_All1000 measures All over 1,000 pending futures: make
// them, combine them, attach a reaction to the result, settle all 1,000
// and run the reaction; one op is the whole round. The baselines settle
// 1,000 channel futures that a goroutine gathers with a loop of receives
// (impl=chan), or that a goroutine each receives from, joined by a
// sync.WaitGroup (impl=chan-wg).
func BenchmarkFuture_All1000(b *testing.B) {
	check := func(vs []int) error {
		if len(vs) != allN || vs[0] != 0 || vs[allN-1] != allN-1 {
			return fmt.Errorf("All gave %d values", len(vs))
		}
		return nil
	}
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		c := newChain(b)
		fs := make([]*future.Future[int], allN)
		ps := make([]future.Promise[int], allN)
		ops := 0
		var bad error
		fn := func(vs []int, err error) {
			if err == nil {
				err = check(vs)
			}
			if err != nil && bad == nil {
				bad = err
			}
			ops++
			c.Next()
		}
		c.iter = func() {
			for i := range fs {
				fs[i], ps[i] = future.New[int](l)
			}
			future.All(l, fs).OnSettled(fn)
			for i, p := range ps {
				p.Resolve(i)
			}
		}
		c.Run(l)
		if bad != nil {
			b.Fatal(bad)
		}
		if ops != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ops, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		chs := make([]chan int, allN)
		gathered := make(chan []int)
		var cpu cpuTimer
		b.ReportAllocs()
		cpu.Start()
		for b.Loop() {
			for i := range chs {
				chs[i] = make(chan int, 1)
			}
			go func() {
				vs := make([]int, allN)
				for i, ch := range chs {
					vs[i] = <-ch
				}
				gathered <- vs
			}()
			for i, ch := range chs {
				ch <- i
			}
			if err := check(<-gathered); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Stop()
		cpu.Report(b)
	})
	b.Run("impl=chan-wg", func(b *testing.B) {
		chs := make([]chan int, allN)
		var cpu cpuTimer
		b.ReportAllocs()
		cpu.Start()
		for b.Loop() {
			vs := make([]int, allN)
			var wg sync.WaitGroup
			for i := range chs {
				ch := make(chan int, 1)
				chs[i] = ch
				wg.Go(func() { vs[i] = <-ch })
			}
			for i, ch := range chs {
				ch <- i
			}
			wg.Wait()
			if err := check(vs); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Stop()
		cpu.Report(b)
	})
}

const chainN = 1000

func inc(v int) (int, error) { return v + 1, nil }

// BenchmarkFuture_Chain1000 measures a chain of 1,000 Thens made on a
// pending future, which is then settled once, until a reaction to the end
// of the chain has run; one op is the whole chain. The baseline is 1,000
// goroutines, each receiving from one channel future and settling the
// next.
func BenchmarkFuture_Chain1000(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		c := newChain(b)
		ops := 0
		var bad error
		fn := func(v int, err error) {
			if (err != nil || v != chainN) && bad == nil {
				bad = fmt.Errorf("chain gave %d, %v", v, err)
			}
			ops++
			c.Next()
		}
		c.iter = func() {
			f, p := future.New[int](l)
			g := f
			for range chainN {
				g = future.Then(g, inc)
			}
			g.OnSettled(fn)
			p.Resolve(0)
		}
		c.Run(l)
		if bad != nil {
			b.Fatal(bad)
		}
		if ops != b.N {
			b.Fatalf("%d reactions ran for %d iterations", ops, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		var cpu cpuTimer
		b.ReportAllocs()
		cpu.Start()
		for b.Loop() {
			first := make(chan int, 1)
			in := first
			for range chainN {
				out := make(chan int, 1)
				go func(in <-chan int, out chan<- int) {
					v, _ := inc(<-in)
					out <- v
				}(in, out)
				in = out
			}
			first <- 0
			if v := <-in; v != chainN {
				b.Fatalf("chain gave %d", v)
			}
		}
		cpu.Stop()
		cpu.Report(b)
	})
}

// remoteChunk is how many futures BenchmarkFuture_SettleRemote makes, with
// the timer stopped, before settling them.
const remoteChunk = 1 << 14

// BenchmarkFuture_SettleRemote measures the throughput of settling from
// another goroutine: the benchmark's goroutine Resolves futures of a running
// loop, each with a Then reaction, which runs there. The futures are made
// on the loop beforehand, remoteChunk at a time with the timer stopped;
// what is timed is the Resolves and the loop catching up until every
// reaction of the chunk has run. The baseline sends each value on a
// buffered channel to a goroutine that runs the reaction, with the same
// chunks and the same wait.
//
// It counts b.N itself rather than use b.Loop, so that the wait for the
// last reactions is timed.
func BenchmarkFuture_SettleRemote(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		l := looptest.Start(b)
		ps := make([]future.Promise[int], 0, remoteChunk)
		reached := make(chan struct{}, 1)
		ran, target := 0, 0 // loop goroutine only
		h := func(v int) (int, error) {
			if ran++; ran == target {
				reached <- struct{}{}
			}
			return v, nil
		}
		var cpu cpuTimer
		b.ReportAllocs()
		b.ResetTimer()
		for left := b.N; left > 0; {
			k := min(left, remoteChunk)
			left -= k
			b.StopTimer()
			ps = ps[:0]
			looptest.On(b, l, func() {
				target += k
				for range k {
					f, p := future.New[int](l)
					future.Then(f, h)
					ps = append(ps, p)
				}
			})
			b.StartTimer()
			cpu.Start()
			for i, p := range ps {
				p.Resolve(i)
			}
			<-reached
			cpu.Stop()
		}
		b.StopTimer()
		cpu.Report(b)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d settles", ran, b.N)
		}
	})
	b.Run("impl=chan", func(b *testing.B) {
		ch := make(chan int, 1024)
		reached := make(chan struct{})
		ran := 0 // the worker's, read after reached
		h := func(v int) int {
			ran++
			return v
		}
		go func() {
			for v := range ch {
				if v < 0 {
					reached <- struct{}{}
					continue
				}
				h(v)
			}
		}()
		defer close(ch)
		var cpu cpuTimer
		b.ReportAllocs()
		b.ResetTimer()
		for left := b.N; left > 0; {
			k := min(left, remoteChunk)
			left -= k
			b.StopTimer()
			b.StartTimer()
			cpu.Start()
			for i := range k {
				ch <- i
			}
			ch <- -1
			<-reached
			cpu.Stop()
		}
		b.StopTimer()
		cpu.Report(b)
		if ran != b.N {
			b.Fatalf("%d reactions ran for %d settles", ran, b.N)
		}
	})
}
