package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
)

func TestRun_ReturnsMainsError(t *testing.T) {
	errMain := errors.New("main failed")
	if err := fiber.Run(context.Background(), func(context.Context) error { return errMain }); !errors.Is(err, errMain) {
		t.Errorf("Run = %v, want main's error %v", err, errMain)
	}
	if err := fiber.Run(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// Run returns main's result, not a child's, and only once every fiber is
// done, even those nobody awaits.
func TestRun_WaitsForEveryFiber(t *testing.T) {
	var done []string
	var mainReturned time.Duration
	errChild := errors.New("child failed")
	var (
		mu        sync.Mutex // the hook may run on a finalizer's goroutine
		unhandled []error
	)
	prev := future.SetUnhandledHook(func(u future.Unhandled) {
		mu.Lock()
		defer mu.Unlock()
		unhandled = append(unhandled, u.Err)
	})
	defer future.SetUnhandledHook(prev)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		for i, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				if err := fiber.Sleep(ctx, d); err != nil {
					return 0, err
				}
				done = append(done, fmt.Sprintf("%d@%v", i, now(ctx)))
				return 0, errChild // rejected, never awaited
			})
		}
		mainReturned = now(ctx)
		return nil
	}, virtual())
	if err != nil {
		t.Fatalf("Run = %v, want main's nil", err)
	}
	if mainReturned != 0 {
		t.Errorf("main returned at %v, want 0", mainReturned)
	}
	if want := []string{"1@1s", "2@2s", "0@3s"}; !slices.Equal(done, want) {
		t.Errorf("fibers finished %v, want %v", done, want)
	}
	// Nobody looked at the children's futures: their rejections are
	// reported, as any future's.
	mu.Lock()
	defer mu.Unlock()
	if len(unhandled) != 3 || !errors.Is(unhandled[0], errChild) {
		t.Errorf("unhandled rejections reported: %v, want 3 of %v", unhandled, errChild)
	}
}

func panicInMain(context.Context) error { panic("main exploded") }

func TestRun_MainPanicIsAnErrorWithItsStack(t *testing.T) {
	err := fiber.Run(context.Background(), panicInMain)
	wantRecovered(t, err, "main exploded", "fiber_test.panicInMain")
}

// runtime.Goexit in a fiber (t.FailNow does it) ends the goroutine that
// called Run, after the fiber's deferred calls and those of every other
// fiber, which are killed, have run.
func TestRun_GoexitEndsRunsGoroutine(t *testing.T) {
	var (
		events   []string
		returned bool
		exited   = make(chan struct{})
	)
	go func() {
		defer close(exited)
		_ = fiber.Run(context.Background(), func(ctx context.Context) error {
			defer func() { events = append(events, "main unwound") }()
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				defer func() { events = append(events, "sleeper unwound") }()
				err := fiber.Sleep(ctx, time.Hour)
				events = append(events, "sleeper woke")
				return 0, err
			})
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				defer func() { events = append(events, "exiter unwound") }()
				runtime.Goexit()
				events = append(events, "exiter went on")
				return 0, nil
			})
			err := fiber.Sleep(ctx, 2*time.Hour)
			events = append(events, "main woke")
			return err
		}, virtual())
		returned = true
	}()
	looptest.Recv(t, exited, "Run's goroutine to exit")
	if returned {
		t.Error("Run returned after a fiber called runtime.Goexit; its goroutine should have exited")
	}
	if len(events) == 0 || events[0] != "exiter unwound" {
		t.Fatalf("events %v, want the exiting fiber's deferred call first", events)
	}
	slices.Sort(events[1:])
	if want := []string{"exiter unwound", "main unwound", "sleeper unwound"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v: every fiber unwound, none went on", events, want)
	}
}

// A Run whose context is cancelled from another goroutine wakes every
// fiber, whatever it waits in, with context.Canceled.
func TestRun_CancelledFromOutsideWakesEveryone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allParked := make(chan struct{})
	go func() {
		<-allParked
		cancel()
	}()
	got := map[string]error{}
	err := fiber.Run(ctx, func(ctx context.Context) error {
		pending, _ := future.New[int](fiber.Loop(ctx)) // never settled
		start := func(name string, wait func(ctx context.Context) error) {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				err := wait(ctx)
				got[name] = err
				return 0, err
			})
		}
		start("Sleep", func(ctx context.Context) error { return fiber.Sleep(ctx, time.Hour) })
		start("Await", func(ctx context.Context) error { _, err := fiber.Await(ctx, pending); return err })
		start("Suspend", func(ctx context.Context) error {
			return fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
		})
		start("Blocking", func(ctx context.Context) error {
			_, err := fiber.Blocking(ctx, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, errors.New("the blocking call's own error")
			})
			return err
		})
		start("Yield", func(ctx context.Context) error {
			for {
				if err := fiber.Yield(ctx); err != nil {
					return err
				}
			}
		})
		start("Group.Wait", func(ctx context.Context) error {
			g, _ := fiber.NewGroup(ctx)
			g.Go(func(ctx context.Context) error { return fiber.Sleep(ctx, time.Hour) })
			return g.Wait()
		})
		if err := fiber.Yield(ctx); err != nil { // every fiber above is parked now
			return err
		}
		close(allParked)
		return fiber.Sleep(ctx, time.Hour)
	}) // real time: an hour's Sleep ends only by cancellation
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want main's context.Canceled", err)
	}
	for _, name := range []string{"Sleep", "Await", "Suspend", "Blocking", "Yield", "Group.Wait"} {
		if e, ok := got[name]; !ok {
			t.Errorf("%s: not returned", name)
		} else if !errors.Is(e, context.Canceled) {
			t.Errorf("%s returned %v, want context.Canceled", name, e)
		}
	}
}

// A pending future whose promise a goroutine holds may still wake the
// loop: no deadlock is reported while the loop sits idle waiting for it.
func TestRun_PendingPromiseIsNotADeadlock(t *testing.T) {
	promises := make(chan future.Promise[string], 1)
	settled := make(chan struct{})
	go func() {
		defer close(settled)
		p := <-promises
		if !waitLoopIdle() { // where a wrong deadlock check would fire
			t.Errorf("the loop was not idle in its poller within %v", waitLimit)
		}
		p.Resolve("from a goroutine")
	}()
	var got string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		f, p := future.New[string](fiber.Loop(ctx))
		promises <- p // buffered: never blocks the loop
		v, err := fiber.Await(ctx, f)
		got = v
		return err
	})
	<-settled
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got != "from a goroutine" {
		t.Errorf("Await = %q", got)
	}
}

// A loop stopped under the fibers (here by a task's panic, which the loop
// does not recover without a panic handler) unwinds every fiber still
// alive: their deferred calls run, and Run returns why it stopped.
func TestRun_LoopStoppingKillsLiveFibers(t *testing.T) {
	unwound := map[string]bool{}
	afterPark := false
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		defer func() { unwound["main"] = true }()
		fiber.Go(ctx, func(ctx context.Context) (int, error) {
			defer func() { unwound["sleeper"] = true }()
			err := fiber.Sleep(ctx, time.Hour)
			afterPark = true
			return 0, err
		})
		fiber.Go(ctx, func(ctx context.Context) (int, error) {
			defer func() { unwound["suspended"] = true }()
			err := fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
			afterPark = true
			return 0, err
		})
		fiber.Loop(ctx).Schedule(func() { panic("task exploded") })
		err := fiber.Sleep(ctx, 2*time.Hour)
		afterPark = true
		return err
	}, virtual())
	wantRecovered(t, err, "task exploded", "TestRun_LoopStoppingKillsLiveFibers")
	if len(unwound) != 3 {
		t.Errorf("deferred calls run: %v, want main, sleeper and suspended", unwound)
	}
	if afterPark {
		t.Error("a killed fiber went on after its park")
	}
}

// A loop stopped by a fiber (loop.Stop) while others are parked: Run
// says how many were killed.
func TestRun_StoppedLoopReportsKilledFibers(t *testing.T) {
	unwound := 0
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		for range 2 {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				defer func() { unwound++ }()
				return 0, fiber.Sleep(ctx, time.Hour)
			})
		}
		fiber.Yield(ctx)
		fiber.Loop(ctx).Stop()
		defer func() { unwound++ }()
		return fiber.Sleep(ctx, time.Hour)
	}, virtual())
	if err == nil || !strings.Contains(err.Error(), "3 fibers were still alive") {
		t.Errorf("Run = %v, want a report of 3 killed fibers", err)
	}
	if unwound != 3 {
		t.Errorf("%d killed fibers unwound, want 3", unwound)
	}
}

// A fiber that recovers its own killing cannot go on: its next fiber call
// panics, and what it returns does not hide why the loop stopped.
func TestRun_KilledFiberThatRecoversCannotGoOn(t *testing.T) {
	recovered, unwoundTwice := false, false
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		defer func() { unwoundTwice = true }()
		defer func() {
			if recover() != nil {
				recovered = true
				_ = fiber.Sleep(ctx, time.Second) // parks again
				t.Error("a killed fiber parked again and went on")
			}
		}()
		return fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
	})
	var d *fiber.DeadlockError
	if !errors.As(err, &d) {
		t.Errorf("Run = %v, want a deadlock", err)
	}
	if !recovered || !unwoundTwice {
		t.Errorf("recovered %v, unwound after the second park %v; want both", recovered, unwoundTwice)
	}
}

// deterministic runs a program of fibers that yield, sleep, await and
// join a group, and returns what they logged, with the loop's time.
func deterministic() ([]string, error) {
	var log []string
	logf := func(ctx context.Context, format string, args ...any) {
		log = append(log, fmt.Sprintf(format, args...)+fmt.Sprintf(" @%v", now(ctx)))
	}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		logf(ctx, "main start")
		a := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			for i := 1; i <= 3; i++ {
				logf(ctx, "a%d", i)
				if err := fiber.Yield(ctx); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		b := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			logf(ctx, "b1")
			if err := fiber.Yield(ctx); err != nil {
				return 0, err
			}
			logf(ctx, "b2")
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return 0, err
			}
			logf(ctx, "b3")
			return 7, nil
		})
		c := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			logf(ctx, "c1")
			v, err := fiber.Await(ctx, b)
			if err != nil {
				return 0, err
			}
			logf(ctx, "c2 got %d", v)
			g, _ := fiber.NewGroup(ctx)
			for _, d := range []time.Duration{2 * time.Second, time.Second} {
				g.Go(func(ctx context.Context) error {
					logf(ctx, "g%v start", d)
					if err := fiber.Sleep(ctx, d); err != nil {
						return err
					}
					logf(ctx, "g%v done", d)
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				return 0, err
			}
			logf(ctx, "c3")
			return 0, nil
		})
		logf(ctx, "main spawned")
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		logf(ctx, "main resumed")
		if _, err := fiber.Await(ctx, a); err != nil {
			return err
		}
		if _, err := fiber.Await(ctx, c); err != nil {
			return err
		}
		logf(ctx, "main done")
		return nil
	}, virtual())
	return log, err
}

// The same program interleaves the same way on every run, and the way
// the model says: spawned fibers run in order once the spawner yields, a
// Yield goes to the back of the ready queue, virtual time moves only when
// every fiber waits.
func TestRun_Deterministic(t *testing.T) {
	want := []string{
		"main start @0s",
		"main spawned @0s",
		"a1 @0s", "b1 @0s", "c1 @0s",
		"main resumed @0s",
		"a2 @0s", "b2 @0s", "a3 @0s",
		"b3 @1s",
		"c2 got 7 @1s",
		"g2s start @1s", "g1s start @1s",
		"g1s done @2s",
		"g2s done @3s",
		"c3 @3s",
		"main done @3s",
	}
	for run := range 20 {
		got, err := deterministic()
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d interleaved\n\t%s\nwant\n\t%s", run, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
}

// randomProgram runs fibers that each do a random list of Yields, Sleeps
// and Awaits of earlier fibers, chosen from seed. Each logs after every
// step; the log must be the same on every run with the seed, and each
// step must end at the virtual time a model computes.
func randomProgram(t *testing.T, seed uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const fibers = 20
	type step struct {
		op    string // "yield", "sleep", "await"
		d     time.Duration
		other int
	}
	prog := make([][]step, fibers)
	finish := make([]time.Duration, fibers) // the model's end time of each fiber
	wantAt := make([][]time.Duration, fibers)
	for i := range prog {
		var at time.Duration
		for range 1 + rng.IntN(6) {
			var s step
			switch r := rng.IntN(3); {
			case r == 0:
				s.op = "yield"
			case r == 1 || i == 0:
				s.op, s.d = "sleep", time.Duration(rng.IntN(5))*time.Millisecond
				at += s.d
			default:
				s.op, s.other = "await", rng.IntN(i)
				at = max(at, finish[s.other])
			}
			prog[i] = append(prog[i], s)
			wantAt[i] = append(wantAt[i], at)
		}
		finish[i] = at
	}
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		fs := make([]*future.Future[int], fibers)
		for i, steps := range prog {
			fs[i] = fiber.Go(ctx, func(ctx context.Context) (int, error) {
				for j, s := range steps {
					var err error
					switch s.op {
					case "yield":
						err = fiber.Yield(ctx)
					case "sleep":
						err = fiber.Sleep(ctx, s.d)
					case "await":
						_, err = fiber.Await(ctx, fs[s.other])
					}
					if err != nil {
						return 0, err
					}
					if at := now(ctx); at != wantAt[i][j] {
						t.Errorf("fiber %d step %d (%s) ended at %v, want %v", i, j, s.op, at, wantAt[i][j])
					}
					log = append(log, fmt.Sprintf("%d.%d %s @%v", i, j, s.op, now(ctx)))
				}
				return i, nil
			})
		}
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func TestRun_RandomProgramsAreDeterministic(t *testing.T) {
	seed := testSeed(t)
	for k := range uint64(10) {
		first := randomProgram(t, seed+k)
		for run := range 3 {
			if again := randomProgram(t, seed+k); !slices.Equal(again, first) {
				t.Fatalf("seed %d: run %d interleaved\n\t%s\nthe first run\n\t%s", seed+k, run+1,
					strings.Join(again, "\n\t"), strings.Join(first, "\n\t"))
			}
		}
	}
}

// After Run returns, no goroutine it started is left: no coroutine, no
// offload worker, no context watcher, whether the program ended well,
// with a deadlock, or with fibers killed.
func TestRun_LeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := fiber.Run(ctx, func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		for i := range 50 {
			g.Go(func(ctx context.Context) error {
				if _, err := fiber.Blocking(ctx, func(context.Context) (int, error) { return i, nil }); err != nil {
					return err
				}
				return fiber.Sleep(ctx, time.Duration(i)*time.Millisecond)
			})
		}
		return g.Wait()
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
	err = fiber.Run(ctx, func(ctx context.Context) error {
		for range 10 {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				return 0, fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
			})
		}
		fiber.Yield(ctx)
		fiber.Loop(ctx).Stop()
		return nil
	})
	if err == nil {
		t.Fatal("Run of a stopped loop with parked fibers = nil, want them reported")
	}
	cancel()
	goleak.VerifyNone(t, ignore)
}

// Finished fibers' coroutines are reused: once the loop has run as many
// fibers at once as it needs, starting more starts no goroutine.
func TestRun_ReusesCoroutines(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		noop := func(context.Context) (int, error) { return 0, nil }
		if _, err := fiber.Await(ctx, fiber.Go(ctx, noop)); err != nil {
			return err
		}
		before := runtime.NumGoroutine()
		for range 1000 {
			if _, err := fiber.Await(ctx, fiber.Go(ctx, noop)); err != nil {
				return err
			}
		}
		if after := runtime.NumGoroutine(); after > before {
			t.Errorf("%d goroutines after 1000 fibers run one at a time, %d before", after, before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Fibers that finish without parking run one after the other on one
// coroutine (the next one starts where the last ended), yet within the
// loop's fairness share: a timer due meanwhile fires after at most one
// share (256 jobs) of them; and they run in the order they were started,
// with the reactions to each before the next.
func TestRun_ChainedStartsKeepOrderAndFairness(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		const n = 2000
		var order []int
		var reactions []int
		timerAt := -1
		l.AfterFunc(0, func() { timerAt = len(order) })
		before := runtime.NumGoroutine()
		futs := make([]*future.Future[int], n)
		for i := range n {
			futs[i] = fiber.Go(ctx, func(context.Context) (int, error) {
				order = append(order, i)
				return i, nil
			})
			futs[i].OnSettled(func(v int, _ error) { reactions = append(reactions, v) })
		}
		for _, f := range futs {
			if _, err := fiber.Await(ctx, f); err != nil {
				return err
			}
		}
		if after := runtime.NumGoroutine(); after > before+1 {
			t.Errorf("%d goroutines after %d fibers that never parked, %d before", after, n, before)
		}
		for i, v := range order {
			if v != i {
				t.Fatalf("fiber %d ran %dth", v, i)
			}
		}
		for i, v := range reactions {
			if v != i {
				t.Fatalf("reaction to fiber %d ran %dth", v, i)
			}
		}
		if timerAt < 0 || timerAt > 256 {
			t.Errorf("a timer due at once fired after %d of %d fibers, want at most one share (256)", timerAt, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// 100,000 fibers alive at once on one loop, half parked in Await of a
// shared future, half in Sleep, then all released.
func TestRun_100000Fibers(t *testing.T) {
	const n = 100_000
	start := time.Now()
	parked, finished := 0, 0
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		gate, open := future.New[struct{}](fiber.Loop(ctx))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				parked++
				if i%2 == 0 {
					if _, err := fiber.Await(ctx, gate); err != nil {
						return struct{}{}, err
					}
				} else {
					if err := fiber.Sleep(ctx, time.Second); err != nil {
						return struct{}{}, err
					}
					if now(ctx) != time.Second {
						t.Errorf("a sleeper woke at %v, want 1s", now(ctx))
					}
				}
				finished++
				return struct{}{}, nil
			})
		}
		if err := fiber.Yield(ctx); err != nil { // every fiber ran to its park
			return err
		}
		runtime.ReadMemStats(&after)
		if parked != n || finished != 0 {
			t.Errorf("%d fibers parked and %d finished at once, want %d and 0", parked, finished, n)
		}
		if g := runtime.NumGoroutine(); g < n {
			t.Errorf("%d goroutines with %d fibers parked", g, n)
		}
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		stacks := int64(after.StackInuse) - int64(before.StackInuse)
		t.Logf("%d fibers parked after %v: %d bytes each (heap %d, stack %d)", n,
			time.Since(start).Round(time.Millisecond), (heap+stacks)/n, heap/n, stacks/n)
		open.Resolve(struct{}{})
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
	if finished != n {
		t.Errorf("%d fibers finished, want %d", finished, n)
	}
	t.Logf("all %d done after %v", n, time.Since(start).Round(time.Millisecond))
}
