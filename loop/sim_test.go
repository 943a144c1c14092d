//go:build unix && !weft_nodebug

package loop_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/loop"
)

// simRun makes a loop simulated with seed, runs setup on it as its first
// task, and runs it until everything setup started is over (a timer an
// hour away stops it: virtual time gets there only once the loop has
// nothing else to do). It returns Run's error.
func simRun(t *testing.T, seed uint64, setup func(l *loop.Loop), opts ...loop.Option) error {
	t.Helper()
	l, err := loop.New(append([]loop.Option{loop.WithSimulation(seed)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Post(func() {
		setup(l)
		l.AfterFunc(time.Hour, l.Stop)
	}); err != nil {
		t.Fatal(err)
	}
	runErr := l.Run()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return runErr
}

// A simJob is a ready job that logs its name when it runs; free says
// whether it is Reorderable.
type simJob struct {
	name string
	free bool
	log  *[]string
}

func (j *simJob) Run()              { *j.log = append(*j.log, j.name) }
func (j *simJob) Reorderable() bool { return j.free }

// freeOrder returns the order in which n Reorderable jobs queued together
// run under seed.
func freeOrder(t *testing.T, seed uint64, n int) string {
	var log []string
	err := simRun(t, seed, func(l *loop.Loop) {
		for i := range n {
			l.ScheduleJob(&simJob{name: fmt.Sprint(i), free: true, log: &log})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != n {
		t.Fatalf("%d of %d jobs ran: %v", len(log), n, log)
	}
	return strings.Join(log, " ")
}

// TestSim_ReorderableJobs: jobs that may overtake run in an order the
// seed decides, the same for the same seed, another for another seed,
// each exactly once; over many seeds each of them is first at least once.
func TestSim_ReorderableJobs(t *testing.T) {
	if a, b := freeOrder(t, 7, 8), freeOrder(t, 7, 8); a != b {
		t.Errorf("seed 7 ran the jobs as %s, then as %s", a, b)
	}
	if a, b := freeOrder(t, 1, 8), freeOrder(t, 2, 8); a == b {
		t.Errorf("seeds 1 and 2 ran the jobs in the same order %s", a)
	}
	firsts := map[string]bool{}
	for seed := range uint64(100) {
		firsts[strings.Fields(freeOrder(t, seed, 8))[0]] = true
	}
	if len(firsts) != 8 {
		t.Errorf("over 100 seeds only jobs %v ran first, want all 8", firsts)
	}
}

// TestSim_OrderedJobs: a job that may not overtake (a plain task from
// Schedule, a job that is not Reorderable, one whose Reorderable says
// false) runs after every job queued before it, under every seed, while
// the Reorderable ones queued after it may pass it.
func TestSim_OrderedJobs(t *testing.T) {
	overtook := 0
	for seed := range uint64(100) {
		var (
			log    []string
			queued []string
		)
		err := simRun(t, seed, func(l *loop.Loop) {
			for i := range 12 {
				name := fmt.Sprint(i)
				queued = append(queued, name)
				switch i % 3 {
				case 0:
					l.Schedule(func() { log = append(log, name) })
				case 1:
					l.ScheduleJob(&simJob{name: name, free: false, log: &log})
				case 2:
					l.ScheduleJob(&simJob{name: name, free: true, log: &log})
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 12 {
			t.Fatalf("seed %d: %d of 12 jobs ran: %v", seed, len(log), log)
		}
		// Each ordered job after every job queued ahead of it, so the
		// ordered ones among themselves in queue order.
		var ordered []string
		for p, n := range log {
			i := slices.Index(queued, n)
			if i%3 == 2 {
				continue
			}
			ordered = append(ordered, n)
			for _, before := range queued[:i] {
				if !slices.Contains(log[:p], before) {
					t.Fatalf("seed %d: ordered job %s ran before job %s, queued ahead of it: %v", seed, n, before, log)
				}
			}
		}
		if want := []string{"0", "1", "3", "4", "6", "7", "9", "10"}; !slices.Equal(ordered, want) {
			t.Fatalf("seed %d: ordered jobs ran as %v, want %v", seed, ordered, want)
		}
		if log[0] != "0" {
			overtook++
		}
	}
	if overtook == 0 {
		t.Error("in 100 seeds no Reorderable job ever ran before the ordered job queued ahead of it")
	}
}

// TestSim_Timers: timers due at the same instant fire in a seeded order
// (the same for the same seed, several over many seeds); timers due
// earlier still fire first; a callback that stops a timer of its batch
// still prevents its run.
func TestSim_Timers(t *testing.T) {
	order := func(seed uint64) string {
		var log []string
		err := simRun(t, seed, func(l *loop.Loop) {
			for i := range 5 {
				l.AfterFunc(2*time.Millisecond, func() { log = append(log, fmt.Sprint("b", i)) })
			}
			l.AfterFunc(time.Millisecond, func() { log = append(log, "a") })
			l.At(int64(3*time.Millisecond), func() { log = append(log, "c") })
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 7 || log[0] != "a" || log[6] != "c" {
			t.Fatalf("seed %d: timers fired as %v, want a, the five b's, c", seed, log)
		}
		return strings.Join(log, " ")
	}
	orders := map[string]bool{}
	for seed := range uint64(50) {
		o := order(seed)
		if again := order(seed); again != o {
			t.Fatalf("seed %d: %s, then %s", seed, o, again)
		}
		orders[o] = true
	}
	if len(orders) < 25 {
		t.Errorf("50 seeds fired five simultaneous timers in only %d orders", len(orders))
	}

	// Stopping within a batch.
	firstWins := map[string]int{}
	for seed := range uint64(50) {
		var log []string
		err := simRun(t, seed, func(l *loop.Loop) {
			var ta, tb interface{ Stop() bool }
			a := l.AfterFunc(time.Millisecond, func() {
				log = append(log, "a")
				if tb.Stop() {
					log = append(log, "a stopped b")
				}
			})
			b := l.AfterFunc(time.Millisecond, func() {
				log = append(log, "b")
				if ta.Stop() {
					log = append(log, "b stopped a")
				}
			})
			ta, tb = a, b
		})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(log, ", ")
		if got != "a, a stopped b" && got != "b, b stopped a" {
			t.Fatalf("seed %d: %s; want the first timer to run and stop the other", seed, got)
		}
		firstWins[log[0]]++
	}
	if len(firstWins) != 2 {
		t.Errorf("in 50 seeds only %v ran first", firstWins)
	}
}

// TestSim_Microtasks: microtasks keep their order and drain after the job
// that queued them, before the next job, under every seed.
func TestSim_Microtasks(t *testing.T) {
	for seed := range uint64(30) {
		var log []string
		err := simRun(t, seed, func(l *loop.Loop) {
			for i := range 4 {
				l.ScheduleJob(&simJob{name: fmt.Sprint("job", i), free: true, log: &log})
				l.ScheduleJob(&microJob{l: l, i: i, log: &log})
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range log {
			if m, ok := strings.CutPrefix(name, "queue"); ok {
				want := []string{"m" + m + ".0", "m" + m + ".1", "m" + m + ".2"}
				if i+4 > len(log) || !slices.Equal(log[i+1:i+4], want) {
					t.Fatalf("seed %d: %v; want %v right after %s", seed, log, want, name)
				}
			}
		}
	}
}

// microJob is a Reorderable job that queues three microtasks.
type microJob struct {
	l   *loop.Loop
	i   int
	log *[]string
}

func (j *microJob) Run() {
	*j.log = append(*j.log, fmt.Sprint("queue", j.i))
	for k := range 3 {
		j.l.Microtask(func() { *j.log = append(*j.log, fmt.Sprintf("m%d.%d", j.i, k)) })
	}
}
func (j *microJob) Reorderable() bool { return true }

// TestSim_Budget: a job that queues itself again forever does not keep a
// simulated loop from its timers: the ready phase still ends after its
// budget of jobs.
func TestSim_Budget(t *testing.T) {
	runs := 0
	err := simRun(t, 3, func(l *loop.Loop) {
		stop := false
		var again func()
		again = func() {
			runs++
			if !stop {
				l.Schedule(again)
			}
		}
		l.Schedule(again)
		l.AfterFunc(0, func() { stop = true })
	}, loop.WithBudgets(16, 0))
	if err != nil {
		t.Fatal(err)
	}
	if runs < 2 || runs > 2*16+1 {
		t.Errorf("the job ran %d times before the timer stopped it; want at most two budgets of 16", runs)
	}
}

// TestSim_Simulated reports the seed of a simulated loop, and nothing for
// another; a simulated loop is on virtual time.
func TestSim_Simulated(t *testing.T) {
	l, err := loop.New(loop.WithSimulation(42))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if seed, ok := l.Simulated(); !ok || seed != 42 {
		t.Errorf("Simulated = %d, %v; want 42, true", seed, ok)
	}
	plain, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, ok := plain.Simulated(); ok {
		t.Error("a plain loop says it is simulated")
	}

	began := time.Now()
	var at int64
	if err := simRun(t, 1, func(l *loop.Loop) {
		l.AfterFunc(30*time.Minute, func() { at = l.Now() })
	}); err != nil {
		t.Fatal(err)
	}
	if at != int64(30*time.Minute) || time.Since(began) > 10*time.Minute {
		t.Errorf("a 30-minute timer fired at %v (virtual), after %v (real)", time.Duration(at), time.Since(began))
	}
}

// TestSim_Panic: a job that panics on a simulated loop gets the loop's
// panic policy: without a handler Run returns the panic as an error.
func TestSim_Panic(t *testing.T) {
	err := simRun(t, 1, func(l *loop.Loop) {
		l.ScheduleJob(panicJob{})
	})
	if err == nil || !strings.Contains(err.Error(), "job panics") {
		t.Fatalf("Run = %v, want the job's panic", err)
	}
	var handled []error
	err = simRun(t, 1, func(l *loop.Loop) {
		l.ScheduleJob(panicJob{})
		l.ScheduleJob(panicJob{})
	}, loop.WithPanicHandler(func(err error) { handled = append(handled, err) }))
	if err != nil || len(handled) != 2 {
		t.Fatalf("Run = %v with %d panics handled, want nil and 2", err, len(handled))
	}
	if !errors.Is(handled[0], errPanicJob) {
		t.Errorf("handled %v", handled[0])
	}
}

var errPanicJob = errors.New("job panics")

type panicJob struct{}

func (panicJob) Run()              { panic(errPanicJob) }
func (panicJob) Reorderable() bool { return true }
