//go:build !weft_nodebug

package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/simtest"
	wsync "github.com/weftio/weft/sync"
)

// workload is a program with a bit of everything the simulation orders:
// fibers started together, Yields, Sleeps that end at the same instant, a
// Mutex, a Chan, futures raced against each other. It appends what
// happens, in order, to a log, and returns it.
func workload(ctx context.Context) ([]string, error) {
	var (
		log []string
		mu  wsync.Mutex
		ch  = wsync.NewChan[int](2)
	)
	logf := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	l := fiber.Loop(ctx)
	g, gctx := fiber.NewGroup(ctx)
	for i := range 6 {
		g.Go(func(ctx context.Context) error {
			logf("start %d", i)
			if err := fiber.Yield(ctx); err != nil {
				return err
			}
			logf("yielded %d", i)
			if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			logf("slept %d", i)
			if err := mu.Lock(ctx); err != nil {
				return err
			}
			logf("locked %d", i)
			err := ch.Send(ctx, i)
			mu.Unlock()
			return err
		})
	}
	g.Go(func(ctx context.Context) error {
		for range 6 {
			v, _, err := ch.Recv(ctx)
			if err != nil {
				return err
			}
			logf("recv %d", v)
		}
		return nil
	})
	ds := []*future.Future[int]{future.Delay(l, time.Second, 0), future.Delay(l, time.Second, 1), future.Delay(l, time.Second, 2)}
	won, err := fiber.Await(gctx, future.Race(l, ds))
	if err != nil {
		return nil, err
	}
	logf("race won by %d", won)
	return log, g.Wait()
}

// logOf runs workload under seed and returns its log.
func logOf(t *testing.T, seed uint64) []string {
	t.Helper()
	var log []string
	err := simtest.Run(seed, func(ctx context.Context) error {
		var err error
		log, err = workload(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return log
}

// TestRun_SameSeedSameOrder runs the workload twice under each of several
// seeds: the two logs of a seed are identical, event for event.
func TestRun_SameSeedSameOrder(t *testing.T) {
	for seed := range uint64(20) {
		a, b := logOf(t, seed), logOf(t, seed)
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: two runs differ:\n%s\n---\n%s", seed, strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
		if len(a) != 6*4+6+1 {
			t.Fatalf("seed %d: %d events, want %d:\n%s", seed, len(a), 6*4+6+1, strings.Join(a, "\n"))
		}
	}
}

// startOrder returns the order in which n fibers started together first
// ran, under seed.
func startOrder(t *testing.T, seed uint64, n int) string {
	t.Helper()
	var order []string
	err := simtest.Run(seed, func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		for i := range n {
			g.Go(func(context.Context) error {
				order = append(order, fmt.Sprint(i))
				return nil
			})
		}
		return g.Wait()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(order, " ")
}

// TestRun_SeedsDiffer shows that the seed decides the order of fibers
// ready together: seeds 1 and 2 order eight of them differently, the
// whole log of the workload differs too, and over 200 seeds each fiber
// is the first to run at least once (without simulation, the first
// started always is).
func TestRun_SeedsDiffer(t *testing.T) {
	if a, b := startOrder(t, 1, 8), startOrder(t, 2, 8); a == b {
		t.Errorf("seeds 1 and 2 ran eight ready fibers in the same order: %s", a)
	}
	if a, b := logOf(t, 1), logOf(t, 2); slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 gave the same log:\n%s", strings.Join(a, "\n"))
	}
	firsts := map[string]int{}
	orders := map[string]bool{}
	for seed := range uint64(200) {
		o := startOrder(t, seed, 8)
		orders[o] = true
		firsts[strings.Fields(o)[0]]++
	}
	if len(firsts) != 8 {
		t.Errorf("over 200 seeds, only fibers %v ran first; want each of the 8", firsts)
	}
	if len(orders) < 190 {
		t.Errorf("200 seeds gave only %d orders of 8 fibers (8! = 40320 possible)", len(orders))
	}
}

// TestRun_PlainOrder is the baseline of the tests above: without a
// simulation, fibers started together run in the order they were
// started, every time.
func TestRun_PlainOrder(t *testing.T) {
	for range 3 {
		var order []int
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			g, _ := fiber.NewGroup(ctx)
			for i := range 8 {
				g.Go(func(context.Context) error { order = append(order, i); return nil })
			}
			return g.Wait()
		}, loop.WithVirtualTime(time.Time{}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("plain order %v", order)
		}
	}
}

// The planted bugs: code that works in the order a plain run takes, and
// is wrong in others that weft allows.

// configBug starts a loader and then workers that read what it loads,
// trusting that a fiber started first runs first.
func configBug(ctx context.Context) error {
	var cfg map[string]string
	g, _ := fiber.NewGroup(ctx)
	g.Go(func(context.Context) error {
		cfg = map[string]string{"addr": "localhost:80"}
		return nil
	})
	for i := range 3 {
		g.Go(func(context.Context) error {
			if cfg == nil {
				return fmt.Errorf("worker %d read the config before it was loaded", i)
			}
			return nil
		})
	}
	return g.Wait()
}

// timerBug arms two timeouts of the same length and trusts that the one
// armed first fires first.
func timerBug(ctx context.Context) error {
	var order []string
	g, _ := fiber.NewGroup(ctx)
	for _, name := range []string{"flush", "close"} {
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return err
			}
			order = append(order, name)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if order[0] != "flush" {
		return fmt.Errorf("closed before the flush: %v", order)
	}
	return nil
}

// A fakeT is the testing.TB that Seeds reports to in the tests of Seeds
// itself. Fatalf and FailNow end the goroutine, as testing's do.
type fakeT struct {
	testing.TB // nil: only the methods below may be called
	name       string

	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...); runtime.Goexit() }
func (f *fakeT) FailNow()                          { f.Errorf("FailNow"); runtime.Goexit() }

func (f *fakeT) report() (failed bool, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed, strings.Join(f.msgs, "\n")
}

// seeds runs Seeds on a goroutine of its own, as a test would, with a
// fakeT named name, and returns what it reported.
func seeds(name string, n int, main func(ctx context.Context) error) (failed bool, msg string) {
	ft := &fakeT{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		simtest.Seeds(ft, n, main)
	}()
	<-done
	return ft.report()
}

// failingSeed extracts the seed from a report of Seeds.
func failingSeed(t *testing.T, msg string) uint64 {
	t.Helper()
	var seed uint64
	if _, err := fmt.Sscanf(msg, "simtest: seed %d ", &seed); err != nil {
		t.Fatalf("no seed at the start of the report %q: %v", msg, err)
	}
	return seed
}

// TestSeeds_FindsPlantedBugs shows each planted bug passing a plain run
// and failing under Seeds, with a report that names the seed and how to
// replay it; the seed then fails again on its own, and again the same way.
func TestSeeds_FindsPlantedBugs(t *testing.T) {
	for _, c := range []struct {
		name string
		main func(ctx context.Context) error
		want string
	}{
		{"config", configBug, "read the config before it was loaded"},
		{"timer", timerBug, "closed before the flush"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 5 {
				if err := fiber.Run(context.Background(), c.main, loop.WithVirtualTime(time.Time{})); err != nil {
					t.Fatalf("a plain run failed: %v", err)
				}
			}
			failed, msg := seeds("TestCache/sub case", 100, c.main)
			if !failed {
				t.Fatal("Seeds did not find the bug in 100 seeds")
			}
			seed := failingSeed(t, msg)
			for _, want := range []string{
				c.want,
				fmt.Sprintf("replay: WEFT_SIM_SEED=%d go test -run '^TestCache$/^sub case$'", seed),
				"the replay failed again, with the same error",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("report does not say %q:\n%s", want, msg)
				}
			}
			err1, err2 := simtest.Run(seed, c.main), simtest.Run(seed, c.main)
			if err1 == nil || !strings.Contains(err1.Error(), c.want) || err2 == nil || err1.Error() != err2.Error() {
				t.Errorf("seed %d replayed as %v, then %v; want the same failure twice", seed, err1, err2)
			}
		})
	}
}

// TestSeeds_StopsAtFirstFailure: Seeds reports the lowest failing seed
// and runs no seed after it.
func TestSeeds_StopsAtFirstFailure(t *testing.T) {
	var ran []uint64
	failed, msg := seeds("TestX", 50, func(ctx context.Context) error {
		seed, _ := simtest.Seed(ctx)
		ran = append(ran, seed)
		if seed%7 == 0 {
			return fmt.Errorf("multiple of seven")
		}
		return nil
	})
	if !failed || failingSeed(t, msg) != 7 {
		t.Fatalf("failed %v, report %q; want seed 7 reported", failed, msg)
	}
	// Seeds 1..7, then 7 again for the replay check.
	if want := []uint64{1, 2, 3, 4, 5, 6, 7, 7}; !slices.Equal(ran, want) {
		t.Errorf("ran seeds %v, want %v", ran, want)
	}
	if !strings.Contains(msg, "(of 1..50) failed: multiple of seven") {
		t.Errorf("report %q", msg)
	}
}

// TestSeeds_Passing runs every seed once and reports nothing.
func TestSeeds_Passing(t *testing.T) {
	var ran []uint64
	failed, msg := seeds("TestX", 5, func(ctx context.Context) error {
		seed, ok := simtest.Seed(ctx)
		if !ok {
			return errors.New("Seed: not simulated")
		}
		ran = append(ran, seed)
		return nil
	})
	if failed {
		t.Fatalf("Seeds failed: %s", msg)
	}
	if want := []uint64{1, 2, 3, 4, 5}; !slices.Equal(ran, want) {
		t.Errorf("ran seeds %v, want %v", ran, want)
	}
}

// TestSeeds_Env checks the environment variables: WEFT_SIM_SEED runs one
// seed (hex accepted), WEFT_SIM_SEEDS sets how many, and a value that is
// not a number fails the test with a message that says so.
func TestSeeds_Env(t *testing.T) {
	collect := func() ([]uint64, bool, string) {
		var ran []uint64
		failed, msg := seeds("TestX", 3, func(ctx context.Context) error {
			seed, _ := simtest.Seed(ctx)
			ran = append(ran, seed)
			return nil
		})
		return ran, failed, msg
	}
	t.Run("seed", func(t *testing.T) {
		t.Setenv(simtest.EnvSeed, "0x2a")
		if ran, failed, msg := collect(); failed || !slices.Equal(ran, []uint64{42}) {
			t.Errorf("ran %v (failed %v: %s), want only seed 42", ran, failed, msg)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Setenv(simtest.EnvSeed, "")
		t.Setenv(simtest.EnvSeeds, " ")
		if ran, failed, msg := collect(); failed || !slices.Equal(ran, []uint64{1, 2, 3}) {
			t.Errorf("ran %v (failed %v: %s), want the test's seeds 1..3", ran, failed, msg)
		}
	})
	t.Run("seeds", func(t *testing.T) {
		t.Setenv(simtest.EnvSeeds, "7")
		if ran, failed, msg := collect(); failed || !slices.Equal(ran, []uint64{1, 2, 3, 4, 5, 6, 7}) {
			t.Errorf("ran %v (failed %v: %s), want seeds 1..7", ran, failed, msg)
		}
	})
	for _, c := range []struct{ env, val, want string }{
		{simtest.EnvSeed, "seven", "WEFT_SIM_SEED=\"seven\" is not a seed"},
		{simtest.EnvSeeds, "-3", "WEFT_SIM_SEEDS=\"-3\" is not a number of seeds"},
		{simtest.EnvSeeds, "0", "WEFT_SIM_SEEDS=\"0\" is not a number of seeds"},
	} {
		t.Run("bad "+c.env, func(t *testing.T) {
			t.Setenv(c.env, c.val)
			ran, failed, msg := collect()
			if !failed || len(ran) != 0 || !strings.Contains(msg, c.want) {
				t.Errorf("ran %v, failed %v, report %q; want no run and a report saying %q", ran, failed, msg, c.want)
			}
		})
	}
}

// TestSeeds_BadN: fewer than one seed is a mistake, reported as such.
func TestSeeds_BadN(t *testing.T) {
	failed, msg := seeds("TestX", 0, func(context.Context) error { return nil })
	if !failed || !strings.Contains(msg, "n = 0, want at least 1") {
		t.Errorf("failed %v, report %q", failed, msg)
	}
}

// TestSeeds_FailNowInFiber: a main that ends the goroutine (t.FailNow in
// a fiber) instead of returning still has its seed reported.
func TestSeeds_FailNowInFiber(t *testing.T) {
	ft := &fakeT{name: "TestX"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		simtest.Seeds(ft, 10, func(ctx context.Context) error {
			if seed, _ := simtest.Seed(ctx); seed == 4 {
				ft.FailNow()
			}
			return nil
		})
	}()
	<-done
	failed, msg := ft.report()
	if !failed || !strings.Contains(msg, "simtest: seed 4 (of 1..10) ended the test goroutine") ||
		!strings.Contains(msg, "WEFT_SIM_SEED=4 go test -run '^TestX$'") {
		t.Errorf("failed %v, report %q", failed, msg)
	}
}

// TestRun_Deadlock: a simulation that parks every fiber for good returns
// fiber's deadlock report instead of hanging, under every seed.
func TestRun_Deadlock(t *testing.T) {
	for seed := range uint64(10) {
		err := simtest.Run(seed, func(ctx context.Context) error {
			var mu wsync.Mutex
			if err := mu.Lock(ctx); err != nil {
				return err
			}
			f := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, mu.Lock(ctx) })
			_, err := fiber.Await(ctx, f)
			return err
		})
		var d *fiber.DeadlockError
		if !errors.As(err, &d) || d.Fibers != 2 {
			t.Fatalf("seed %d: %v, want a deadlock of 2 fibers", seed, err)
		}
	}
}

// TestRun_VirtualTime: the clock starts at 2000-01-01 UTC and moves only
// by what the fibers wait, so an hour's sleep ends at exactly one hour.
func TestRun_VirtualTime(t *testing.T) {
	start := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	err := simtest.Run(1, func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		if !l.Time().Equal(start) {
			return fmt.Errorf("starts at %v, want %v", l.Time(), start)
		}
		if err := fiber.Sleep(ctx, time.Hour); err != nil {
			return err
		}
		if got := l.Time(); !got.Equal(start.Add(time.Hour)) {
			return fmt.Errorf("after an hour's sleep: %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRun_Cancellation: cancelling a group from inside the simulation
// wakes its parked fibers at a seeded, repeatable point among fibers that
// keep running, although the wake-up that context.AfterFunc sends comes
// from a goroutine of its own, at a moment no seed controls.
func TestRun_Cancellation(t *testing.T) {
	run := func(seed uint64) []string {
		var log []string
		err := simtest.Run(seed, func(ctx context.Context) error {
			g, gctx := fiber.NewGroup(ctx)
			for i := range 4 {
				g.Go(func(ctx context.Context) error {
					err := fiber.Sleep(ctx, time.Hour)
					log = append(log, fmt.Sprintf("sleeper %d: %v", i, err))
					return nil
				})
			}
			// Spinners outside the group keep the loop busy across
			// many turns while the cancellation is on its way.
			spin := func(i int) *future.Future[struct{}] {
				return fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
					for k := range 600 {
						if k%100 == 0 {
							log = append(log, fmt.Sprintf("spinner %d at %d", i, k))
						}
						if err := fiber.Yield(ctx); err != nil {
							return struct{}{}, err
						}
					}
					return struct{}{}, nil
				})
			}
			s1, s2 := spin(1), spin(2)
			g.Go(func(ctx context.Context) error {
				if err := fiber.Yield(ctx); err != nil {
					return err
				}
				return errors.New("boom") // cancels the sleepers
			})
			err := g.Wait()
			if gctx.Err() == nil || err == nil {
				return fmt.Errorf("group not cancelled: %v", err)
			}
			if _, err := fiber.Await(ctx, s1); err != nil {
				return err
			}
			if _, err := fiber.Await(ctx, s2); err != nil {
				return err
			}
			if now := fiber.Loop(ctx).Now(); now != 0 {
				return fmt.Errorf("the cancelled sleeps ended at %v, want 0", time.Duration(now))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		return log
	}
	orders := map[string]bool{}
	for seed := range uint64(20) {
		a := run(seed)
		for range 3 {
			if b := run(seed); !slices.Equal(a, b) {
				t.Fatalf("seed %d: two runs differ:\n%s\n---\n%s", seed, strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
		}
		orders[strings.Join(a, ",")] = true
	}
	if len(orders) < 10 {
		t.Errorf("20 seeds gave only %d logs", len(orders))
	}
}

// TestRun_NoLeaks makes and closes many simulated loops: no fd and no
// goroutine (checked by TestMain) is left.
func TestRun_NoLeaks(t *testing.T) {
	fdtest.Count(t)
	before := fdtest.Count(t)
	for seed := range uint64(50) {
		if _, err := workloadRun(seed); err != nil {
			t.Fatal(err)
		}
	}
	if after := fdtest.Count(t); after != before {
		t.Errorf("%d fds open after 50 simulations, %d before:\n%s", after, before, fdtest.List())
	}
}

func workloadRun(seed uint64) ([]string, error) {
	var log []string
	err := simtest.Run(seed, func(ctx context.Context) error {
		var err error
		log, err = workload(ctx)
		return err
	})
	return log, err
}
