//go:build unix

package loop_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	start = looptest.Start
	on    = looptest.On
)

func TestPostOrderPerProducer(t *testing.T) {
	l := start(t)
	const producers, each = 8, 5000
	var got [producers][]int // touched only on the loop
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if err := l.Post(func() { got[p] = append(got[p], i) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	on(t, l, func() {})
	for p := range producers {
		if len(got[p]) != each {
			t.Fatalf("producer %d: %d tasks ran, want %d", p, len(got[p]), each)
		}
		if !slices.IsSorted(got[p]) {
			t.Fatalf("producer %d: tasks ran out of order", p)
		}
	}
}

func TestTasksFIFOAndMicrotasksAfterEachTask(t *testing.T) {
	l := start(t)
	var log []string
	on(t, l, func() {
		l.Schedule(func() {
			log = append(log, "A")
			l.Microtask(func() {
				log = append(log, "A.m1")
				l.Microtask(func() { log = append(log, "A.m1.m3") })
			})
			l.Microtask(func() { log = append(log, "A.m2") })
			// Scheduled from a task: runs after B, which was queued first.
			l.Schedule(func() { log = append(log, "C") })
		})
		l.Schedule(func() {
			log = append(log, "B")
			l.Microtask(func() { log = append(log, "B.m1") })
		})
	})
	// Wait for C: it was scheduled on the ready queue after B.
	waitFor(t, l, func() bool { return len(log) == 7 })
	want := "A A.m1 A.m2 A.m1.m3 B B.m1 C"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
}

// waitFor polls cond on the loop until it holds. It yields rather than
// sleeps: the loop makes progress on its own goroutine.
func waitFor(t *testing.T, l *loop.Loop, cond func() bool) {
	t.Helper()
	for i := 0; ; i++ {
		var ok bool
		on(t, l, func() { ok = cond() })
		if ok {
			return
		}
		if i > 1_000_000 {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}

func TestMicrotaskNeverRunsInsideTheCallThatQueuedIt(t *testing.T) {
	l := start(t)
	on(t, l, func() {
		ran := false
		l.Microtask(func() { ran = true })
		if ran {
			t.Error("microtask ran inside Microtask")
		}
	})
}

func TestMillionMicrotaskChainConstantStack(t *testing.T) {
	l := start(t)
	const n = 1_000_000
	depth := make([]int, 0, 4)
	pcs := make([]uintptr, 4096)
	count := 0
	var step func()
	step = func() {
		count++
		if count == 1 || count == n/2 || count == n {
			depth = append(depth, runtime.Callers(0, pcs))
		}
		if count < n {
			l.Microtask(step)
		}
	}
	on(t, l, func() { l.Microtask(step) })
	waitFor(t, l, func() bool { return count == n })
	// The first link runs from the drain after a task, later ones may run
	// from the drain at the start of a turn, a frame apart; what matters is
	// that the depth does not grow with the chain.
	if len(depth) != 3 || depth[1] != depth[2] || slices.Max(depth)-slices.Min(depth) > 2 {
		t.Fatalf("stack depth at steps 1, n/2, n: %v; want constant", depth)
	}
}

// pipe returns a non-blocking pipe, closed at the end of the test.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	// Pipe and SetNonblock rather than Pipe2, which darwin lacks; the
	// tests start no process, so the missing O_CLOEXEC cannot leak.
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

type handlerFunc func(poller.Events)

func (f handlerFunc) Ready(ev poller.Events) { f(ev) }

// TestStarvation: a task that schedules or posts itself again forever, or
// a microtask chain that never ends, must not keep timers and I/O from
// running.
func TestStarvation(t *testing.T) {
	for _, kind := range []string{"schedule", "post", "microtask"} {
		t.Run(kind, func(t *testing.T) {
			l := start(t)
			r, w := pipe(t)
			timerFired := make(chan struct{})
			ioReady := make(chan struct{})
			var stop atomic.Bool // set off the loop: an endless microtask chain keeps tasks (and so on) out
			spins := 0
			on(t, l, func() {
				var spin func()
				spin = func() {
					if stop.Load() {
						return
					}
					spins++
					switch kind {
					case "schedule":
						l.Schedule(spin)
					case "post":
						if err := l.Post(spin); err != nil {
							t.Error(err)
						}
					default:
						l.Microtask(spin)
					}
				}
				l.Schedule(spin)
				l.AfterFunc(time.Millisecond, func() { close(timerFired) })
				once := false
				err := l.Register(r, poller.Readable, handlerFunc(func(ev poller.Events) {
					if ev&poller.Readable != 0 && !once {
						once = true
						close(ioReady)
					}
				}))
				if err != nil {
					t.Error(err)
				}
			})
			if _, err := unix.Write(w, []byte("x")); err != nil {
				t.Fatal(err)
			}
			<-timerFired
			<-ioReady
			stop.Store(true)
			on(t, l, func() {
				if spins == 0 {
					t.Error("the spinning work never ran")
				}
				if err := l.Unregister(r); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

func TestVirtualClockFiresHourTimerInstantlyInOrder(t *testing.T) {
	l := start(t, loop.WithVirtualTime(time.Time{}))
	type firing struct {
		name string
		at   int64
	}
	var got []firing
	done := make(chan struct{})
	on(t, l, func() {
		add := func(name string, d time.Duration) {
			l.AfterFunc(d, func() { got = append(got, firing{name, l.Now()}) })
		}
		add("1h", time.Hour)
		add("30m", 30*time.Minute)
		add("2h", 2*time.Hour)
		add("1h-second", time.Hour) // same instant: after "1h"
		l.AfterFunc(3*time.Hour, func() { close(done) })
	})
	<-done
	want := []firing{
		{"30m", int64(30 * time.Minute)},
		{"1h", int64(time.Hour)},
		{"1h-second", int64(time.Hour)},
		{"2h", int64(2 * time.Hour)},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("firings:\n got %v\nwant %v", got, want)
	}
}

func TestTimerCallbackDrainsMicrotasksBeforeNextTimer(t *testing.T) {
	l := start(t, loop.WithVirtualTime(time.Time{}))
	var log []string
	done := make(chan struct{})
	on(t, l, func() {
		l.AfterFunc(time.Second, func() {
			log = append(log, "t1")
			l.Microtask(func() { log = append(log, "t1.m") })
		})
		l.AfterFunc(time.Second, func() { log = append(log, "t2"); close(done) })
	})
	<-done
	if got := strings.Join(log, " "); got != "t1 t1.m t2" {
		t.Fatalf("order %q", got)
	}
}

func TestCloseReleasesFdsAndGoroutines(t *testing.T) {
	before := fdtest.Count(t)
	g, err := loop.NewGroup(4)
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 4 {
		t.Fatalf("Len = %d", g.Len())
	}
	var mu sync.Mutex
	seen := map[*loop.Loop]bool{}
	var wg sync.WaitGroup
	for range 8 {
		l := g.Next()
		wg.Add(1)
		l.Post(func() {
			defer wg.Done()
			l.AfterFunc(time.Hour, func() {}) // pending: must not hold Close
			mu.Lock()
			seen[l] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 4 {
		t.Fatalf("round-robin reached %d loops, want 4", len(seen))
	}
	if during := fdtest.Count(t); during <= before {
		t.Fatalf("fds: %d before, %d with 4 loops open", before, during)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fdtest.Count(t); after != before {
		t.Fatalf("fds: %d before, %d after Close", before, after)
	}
	if err := g.Loop(0).Post(func() {}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Post after Close: %v, want net.ErrClosed", err)
	}
}

func TestCloseWithoutRun(t *testing.T) {
	before := fdtest.Count(t)
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Run(); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if after := fdtest.Count(t); after != before {
		t.Fatalf("fds: %d before, %d after Close", before, after)
	}
}

func TestStopRunsWhatWasAccepted(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for range 100 {
		if err := l.Post(func() { ran++ }); err != nil {
			t.Fatal(err)
		}
	}
	l.Stop()
	if err := l.Post(func() { ran += 1000 }); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Post after Stop = %v", err)
	}
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if ran != 100 {
		t.Fatalf("ran %d tasks, want the 100 accepted before Stop", ran)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func boom() { panic("boom") }

func TestPanicWithoutHandlerStopsRunWithStack(t *testing.T) {
	before := fdtest.Count(t)
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	l.Post(boom)
	err = l.Run()
	var rec *panics.ErrRecovered
	if !errors.As(err, &rec) {
		t.Fatalf("Run = %v, want a recovered panic", err)
	}
	if rec.Value != "boom" || !strings.Contains(string(rec.Stack), "loop_test.boom") {
		t.Fatalf("panic %v with stack\n%s\nwant value boom and the frame of boom", rec.Value, rec.Stack)
	}
	if err := l.Post(func() {}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Post after the panic: %v", err)
	}
	l.Close()
	if after := fdtest.Count(t); after != before {
		t.Fatalf("fds: %d before, %d after", before, after)
	}
}

func TestPanicHandlerKeepsLoopGoing(t *testing.T) {
	var mu sync.Mutex
	var caught []string
	l := start(t, loop.WithPanicHandler(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		caught = append(caught, fmt.Sprint(err.(*panics.ErrRecovered).Value))
	}), loop.WithVirtualTime(time.Time{}))
	r, w := pipe(t)
	var log []string
	done := make(chan struct{})
	on(t, l, func() {
		l.Schedule(func() { panic("task") })
		l.Schedule(func() {
			l.Microtask(func() { panic("micro") })
			l.Microtask(func() { log = append(log, "after micro panic") })
		})
		l.AfterFunc(time.Second, func() { panic("timer") })
		l.AfterFunc(time.Second, func() { log = append(log, "after timer panic") })
		l.Register(r, poller.Readable, handlerFunc(func(poller.Events) {
			l.Unregister(r)
			l.AfterFunc(time.Minute, func() { close(done) })
			panic("io")
		}))
	})
	unix.Write(w, []byte("x"))
	<-done
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(caught)
	if got := strings.Join(caught, ","); got != "io,micro,task,timer" {
		t.Fatalf("caught %q", got)
	}
	if got := strings.Join(log, ","); got != "after micro panic,after timer panic" {
		t.Fatalf("log %q", got)
	}
}

func TestGoexitInTaskReleasesLoop(t *testing.T) {
	before := fdtest.Count(t)
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	returned := make(chan bool, 1)
	go func() {
		exited := true
		defer func() { returned <- exited }()
		l.Post(runtime.Goexit)
		l.Run()
		exited = false
	}()
	if <-returned {
		<-l.Done()
	} else {
		t.Fatal("Run returned after Goexit")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fdtest.Count(t); after != before {
		t.Fatalf("fds: %d before, %d after", before, after)
	}
}

func TestStats(t *testing.T) {
	l := start(t, loop.WithVirtualTime(time.Time{}))
	done := make(chan struct{})
	on(t, l, func() {
		for range 10 {
			l.Schedule(func() { l.Microtask(func() {}) })
		}
		l.AfterFunc(time.Hour, func() {})
		l.AfterFunc(2*time.Hour, func() { close(done) })
	})
	<-done
	var s loop.Stats
	waitFor(t, l, func() bool { s = l.Stats(); return s.Timers == 2 })
	if s.Tasks < 11 || s.Microtasks < 10 || s.Posted < 1 || s.Turns == 0 {
		t.Fatalf("stats %+v", s)
	}
	if s.TimersPending != 0 || s.Ready != 0 {
		t.Fatalf("depths %+v", s)
	}
}

func TestRealTimerFiresAfterItsDeadline(t *testing.T) {
	l := start(t)
	fired := make(chan int64, 1)
	var at int64
	on(t, l, func() {
		at = l.Now()
		l.AfterFunc(2*time.Millisecond, func() { fired <- l.Now() })
	})
	if got := <-fired; got-at < int64(2*time.Millisecond) {
		t.Fatalf("fired after %v, before its 2ms deadline", time.Duration(got-at))
	}
	if lag := l.Stats().MaxLag; lag < 0 {
		t.Fatalf("negative lag %v", lag)
	}
}

// TestBlockingWait: a loop that blocks its thread when it waits
// (WithBlockingWait) is woken by Posts from other goroutines while it
// waits with no timer and while it waits for one, and fires its timers no
// earlier than their deadlines.
func TestBlockingWait(t *testing.T) {
	l := start(t, loop.WithBlockingWait())
	for i := 0; i < 50; i++ {
		time.Sleep(time.Duration(i%3) * 200 * time.Microsecond) // let it block
		on(t, l, func() {})
	}
	fired := make(chan int64, 1)
	var at int64
	on(t, l, func() {
		at = l.Now()
		l.AfterFunc(20*time.Millisecond, func() { fired <- l.Now() })
	})
	time.Sleep(2 * time.Millisecond)
	on(t, l, func() {}) // a Post while the loop waits for the timer
	if got := <-fired; got-at < int64(20*time.Millisecond) {
		t.Fatalf("fired after %v, before its 20ms deadline", time.Duration(got-at))
	}
}

// TestCloseLosesNoAcceptedPost: every Post that returned nil runs, even
// when Close races with the producers.
func TestCloseLosesNoAcceptedPost(t *testing.T) {
	for round := range 20 {
		l, err := loop.New()
		if err != nil {
			t.Fatal(err)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- l.Run() }()
		var ran atomic.Int64 // tasks run; touched on the loop, read after Close
		var accepted atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					if err := l.Post(func() { ran.Add(1) }); err != nil {
						if !errors.Is(err, net.ErrClosed) {
							t.Error(err)
						}
						return
					}
					accepted.Add(1)
				}
			})
		}
		for ran.Load() < int64(100*(round+1)) {
			runtime.Gosched()
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
		if a, r := accepted.Load(), ran.Load(); a != r {
			t.Fatalf("round %d: %d Posts accepted, %d ran", round, a, r)
		}
	}
}

// TestBudgetsBoundATurn: with budgets of 2 tasks and 3 microtasks, ten
// tasks take at least five turns and a chain of ten microtasks at least
// four drains, each its own turn.
func TestBudgetsBoundATurn(t *testing.T) {
	l := start(t, loop.WithBudgets(2, 3))
	var turns []uint64 // Stats().Turns as each piece of work saw it
	done := make(chan struct{})
	on(t, l, func() {
		for range 10 {
			l.Schedule(func() { turns = append(turns, l.Stats().Turns) })
		}
		l.Schedule(func() { close(done) })
	})
	<-done
	if spread := turns[9] - turns[0]; spread < 4 {
		t.Fatalf("10 tasks ran within %d turns, want at least 5 with a budget of 2", spread+1)
	}
	turns = turns[:0]
	done = make(chan struct{})
	on(t, l, func() {
		n := 0
		var step func()
		step = func() {
			turns = append(turns, l.Stats().Turns)
			if n++; n < 10 {
				l.Microtask(step)
			} else {
				close(done)
			}
		}
		l.Microtask(step)
	})
	<-done
	if spread := turns[9] - turns[0]; spread < 3 {
		t.Fatalf("10 chained microtasks ran within %d turns, want at least 4 with a budget of 3", spread+1)
	}
}

func TestAtAndTimeOnVirtualClock(t *testing.T) {
	epoch := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	l := start(t, loop.WithVirtualTime(epoch))
	got := make(chan time.Time, 1)
	on(t, l, func() {
		l.At(int64(90*time.Minute), func() { got <- l.Time() })
	})
	if at := <-got; !at.Equal(epoch.Add(90 * time.Minute)) {
		t.Fatalf("At fired at %v, want %v", at, epoch.Add(90*time.Minute))
	}
	// Instant is the inverse of Time: a time.Time back on the loop's clock.
	for _, d := range []time.Duration{0, 90 * time.Minute, -time.Second, 1000 * time.Hour} {
		if got := l.Instant(epoch.Add(d)); got != int64(d) {
			t.Errorf("Instant(start%+v) = %v, want %v", d, time.Duration(got), d)
		}
	}
	if now, back := l.Now(), l.Instant(l.Time()); back != now {
		t.Errorf("Instant(Time()) = %d, Now() = %d", back, now)
	}
}
