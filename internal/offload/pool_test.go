package offload_test

import (
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sourcegraph/conc/panics"
	"go.uber.org/goleak"

	"github.com/weftio/weft/internal/offload"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// eventually polls cond, yielding the processor between tries, until it
// holds; the pool makes progress on its own goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 1_000_000 {
			t.Fatalf("%s: never happened", what)
		}
		runtime.Gosched()
	}
}

func closePool(t *testing.T, p *offload.Pool) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestSubmitFIFOWithOneWorker(t *testing.T) {
	p := offload.New(1)
	gate := make(chan struct{})
	if err := p.Submit(func() { <-gate }); err != nil {
		t.Fatal(err)
	}
	// No lock: with one worker the functions never overlap, and the pool's
	// hand-offs order them for the race detector too.
	var order []int
	const n = 1000
	for i := range n {
		if err := p.Submit(func() { order = append(order, i) }); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Queued != n || s.MaxQueued != n || s.Workers != 1 {
		t.Fatalf("stats while blocked: %+v, want Queued = MaxQueued = %d, Workers = 1", s, n)
	}
	close(gate)
	closePool(t, p)
	if len(order) != n || !slices.IsSorted(order) {
		t.Fatalf("ran %d functions, sorted %v; want %d in submission order", len(order), slices.IsSorted(order), n)
	}
}

func TestAtMostNRunAtOnce(t *testing.T) {
	const limit, total = 3, 40
	p := offload.New(limit)
	var running, peak atomic.Int32
	started := make(chan int, total)
	release := make(chan struct{})
	for i := range total {
		err := p.Submit(func() {
			n := running.Add(1)
			for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
			}
			started <- i
			<-release
			running.Add(-1)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Let the functions through one at a time: each release lets exactly
	// one more start, and a start beyond the limit would show in peak.
	for i := range total {
		// The first limit functions start together, in any order; after
		// that each release lets the head of the queue start.
		if got := <-started; (i < limit && got >= limit) || (i >= limit && got != i) {
			t.Fatalf("start #%d was function %d; want queue order", i, got)
		}
		if i == limit-1 {
			s := p.Stats()
			if s.Workers != limit || s.Busy != limit || s.Queued != total-limit {
				t.Fatalf("stats with %d blocked: %+v", limit, s)
			}
		}
		if i >= limit-1 {
			release <- struct{}{}
		}
	}
	for range limit - 1 {
		release <- struct{}{}
	}
	closePool(t, p)
	if got := peak.Load(); got != limit {
		t.Fatalf("peak concurrency %d, want %d", got, limit)
	}
	if s := p.Stats(); s.Done != total || s.Started != limit {
		t.Fatalf("after Close: %+v, want Done = %d, Started = %d", s, total, limit)
	}
}

func TestDefaultWorkers(t *testing.T) {
	want := max(4, runtime.GOMAXPROCS(0))
	p := offload.New(0)
	gate := make(chan struct{})
	for range want + 5 {
		if err := p.Submit(func() { <-gate }); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Workers != want || s.Queued != 5 {
		t.Fatalf("New(0): %+v, want Workers = %d, Queued = 5", s, want)
	}
	close(gate)
	closePool(t, p)
}

func TestCloseWaitsForQueuedWorkAndGoroutines(t *testing.T) {
	p := offload.New(2)
	gate := make(chan struct{})
	var ran atomic.Int64
	const n = 50
	for range n {
		if err := p.Submit(func() { <-gate; ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error)
	go func() { closed <- p.Close() }()
	// Close has begun once Submit is refused; it must still be waiting.
	extra := 0
	eventually(t, "Submit refused after Close", func() bool {
		err := p.Submit(func() { ran.Add(1) })
		if err == nil {
			extra++
		}
		return err != nil
	})
	select {
	case <-closed:
		t.Fatal("Close returned while work was queued")
	default:
	}
	close(gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if got := ran.Load(); got != int64(n+extra) {
		t.Fatalf("Close returned after %d of %d accepted functions", got, n+extra)
	}
	if s := p.Stats(); s.Workers != 0 || s.Busy != 0 || s.Queued != 0 {
		t.Fatalf("after Close: %+v", s)
	}
	goleak.VerifyNone(t)
}

func TestSubmitAfterClose(t *testing.T) {
	p := offload.New(1)
	closePool(t, p)
	err := p.Submit(func() { t.Error("ran after Close") })
	if !errors.Is(err, offload.ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Submit after Close: %v, want net.ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNilFuncPanics(t *testing.T) {
	p := offload.New(1)
	defer closePool(t, p)
	defer func() {
		if v := recover(); v != "offload: nil func" {
			t.Fatalf("recovered %v, want offload: nil func", v)
		}
	}()
	p.Submit(nil)
}

func TestIdlePoolHoldsNoGoroutine(t *testing.T) {
	p := offload.New(4)
	defer closePool(t, p)
	for round := 1; round <= 3; round++ {
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			if err := p.Submit(wg.Done); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		eventually(t, "workers exit", func() bool { return p.Stats().Workers == 0 })
		// The pool is open and idle: not one goroutine of it may remain.
		goleak.VerifyNone(t)
		if s := p.Stats(); s.Done != uint64(100*round) || s.Busy != 0 || s.Started < uint64(round) {
			t.Fatalf("round %d: %+v", round, s)
		}
	}
}

func TestConcurrentSubmitAndClose(t *testing.T) {
	p := offload.New(3)
	var accepted, ran atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				if p.Submit(func() { ran.Add(1) }) != nil {
					return
				}
				accepted.Add(1)
			}
		})
	}
	eventually(t, "some work accepted", func() bool { return accepted.Load() > 1000 })
	closePool(t, p)
	wg.Wait()
	if accepted.Load() != ran.Load() {
		t.Fatalf("accepted %d, ran %d", accepted.Load(), ran.Load())
	}
}

func explodeInSubmit() { panic(errBoom) }

var errBoom = errors.New("boom")

func TestPanicIsReturnedByClose(t *testing.T) {
	p := offload.New(1)
	var after atomic.Bool
	p.Submit(explodeInSubmit)
	p.Submit(func() { panic("second") })
	p.Submit(func() { after.Store(true) })
	err := p.Close()
	if !after.Load() {
		t.Fatal("the pool stopped after a panic")
	}
	var rec *panics.ErrRecovered
	if !errors.As(err, &rec) || !errors.Is(err, errBoom) {
		t.Fatalf("Close: %v, want the first panic as *panics.ErrRecovered wrapping errBoom", err)
	}
	if !strings.Contains(string(rec.Stack), "offload_test.explodeInSubmit") {
		t.Fatalf("stack does not name the panicking function:\n%s", rec.Stack)
	}
	if s := p.Stats(); s.Panics != 2 || s.Done != 3 {
		t.Fatalf("stats: %+v, want Panics 2, Done 3", s)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPanicHandler(t *testing.T) {
	var mu sync.Mutex
	var got []error
	p := offload.New(2, offload.WithPanicHandler(func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}))
	for range 5 {
		p.Submit(explodeInSubmit)
	}
	closePool(t, p) // the handler took the panics: nil
	if len(got) != 5 {
		t.Fatalf("handler saw %d panics, want 5", len(got))
	}
	for _, err := range got {
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "explodeInSubmit") {
			t.Fatalf("handler got %v", err)
		}
	}
}

func TestGoexitKeepsThePoolRunning(t *testing.T) {
	p := offload.New(1)
	gate := make(chan struct{})
	var ran atomic.Int64
	p.Submit(func() { <-gate; runtime.Goexit() })
	for range 10 {
		p.Submit(func() { ran.Add(1) })
	}
	close(gate)
	err := p.Close()
	if ran.Load() != 10 {
		t.Fatalf("%d of 10 queued functions ran after a Goexit", ran.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Close: %v, want the Goexit reported", err)
	}
	if s := p.Stats(); s.Workers != 0 || s.Started != 2 || s.Panics != 1 {
		t.Fatalf("stats: %+v, want Workers 0, Started 2, Panics 1", s)
	}
}
