//go:build unix

package loop_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
	"golang.org/x/sys/unix"
)

// TestOnLoop checks that OnLoop is true in every kind of code the loop runs
// and false for every other goroutine, before, during and after Run.
func TestOnLoop(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	if l.OnLoop() {
		t.Fatal("OnLoop true before Run")
	}
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run() }()

	var (
		mu  sync.Mutex
		got = map[string]bool{}
	)
	note := func(what string) {
		mu.Lock()
		got[what] = l.OnLoop()
		mu.Unlock()
	}
	fds := make([]int, 2)
	if err := unix.Pipe(fds); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	ready := make(chan struct{})
	looptest.On(t, l, func() {
		note("task")
		l.Microtask(func() { note("microtask") })
		l.MicrotaskJob(jobFunc(func() { note("microtask job") }))
		l.ScheduleJob(jobFunc(func() { note("scheduled job") }))
		l.AfterFunc(0, func() { note("timer") })
		err := l.Register(fds[0], poller.Readable, handlerFunc(func(poller.Events) {
			note("readiness")
			_ = l.Unregister(fds[0])
			close(ready)
		}))
		if err != nil {
			t.Error(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { note("goroutine started by a task") })
		wg.Wait()
	})
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		t.Fatal(err)
	}
	<-ready
	looptest.On(t, l, func() {})
	note("test goroutine while the loop runs")

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	note("after Close")

	want := map[string]bool{
		"task": true, "microtask": true, "microtask job": true, "scheduled job": true,
		"timer": true, "readiness": true,
		"goroutine started by a task": false, "test goroutine while the loop runs": false,
		"after Close": false,
	}
	for what, on := range want {
		if g, ok := got[what]; !ok {
			t.Errorf("%s: did not run", what)
		} else if g != on {
			t.Errorf("%s: OnLoop() = %v, want %v", what, g, on)
		}
	}
}

type jobFunc func()

func (f jobFunc) Run() { f() }

// TestJobsKeepFIFOWithFuncs checks that jobs and funcs share one order in
// both queues.
func TestJobsKeepFIFOWithFuncs(t *testing.T) {
	l := looptest.Start(t)
	var got []string
	looptest.On(t, l, func() {
		l.ScheduleJob(jobFunc(func() { got = append(got, "job 1") }))
		l.Schedule(func() { got = append(got, "func 2") })
		l.ScheduleJob(jobFunc(func() { got = append(got, "job 3") }))
		l.Microtask(func() { got = append(got, "micro 1") })
		l.MicrotaskJob(jobFunc(func() { got = append(got, "micro job 2") }))
		l.Microtask(func() { got = append(got, "micro 3") })
	})
	looptest.On(t, l, func() {})
	want := []string{"micro 1", "micro job 2", "micro 3", "job 1", "func 2", "job 3"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
}

// recoverJob is a Recoverer that panics when told to.
type recoverJob struct {
	name  string
	boom  bool
	log   *[]string
	stack string
}

func (j *recoverJob) Run() {
	*j.log = append(*j.log, j.name)
	if j.boom {
		explodeInRecoverJob()
	}
}

func (j *recoverJob) Recover(err error) {
	var rec *panics.ErrRecovered
	if errors.As(err, &rec) {
		j.stack = string(rec.Stack)
	}
	*j.log = append(*j.log, "recovered "+j.name)
}

func explodeInRecoverJob() { panic("boom") }

// TestRecovererGetsItsOwnPanic checks that a panicking Recoverer microtask
// gets its panic, with the stack of the panic, that the loop's panic
// policy is not applied (Run would return it), and that the drain goes on.
func TestRecovererGetsItsOwnPanic(t *testing.T) {
	l := looptest.Start(t) // fails the test if Run returns a panic
	var log []string
	bad := &recoverJob{name: "bad", boom: true, log: &log}
	looptest.On(t, l, func() {
		l.MicrotaskJob(&recoverJob{name: "first", log: &log})
		l.MicrotaskJob(bad)
		l.Microtask(func() { log = append(log, "func after") })
		l.MicrotaskJob(&recoverJob{name: "job after", log: &log})
	})
	looptest.On(t, l, func() {})
	want := []string{"first", "bad", "recovered bad", "func after", "job after"}
	defer func() {
		if !slices.Equal(log, want) {
			t.Fatalf("ran %q, want %q", log, want)
		}
	}()
	if !strings.Contains(bad.stack, "explodeInRecoverJob") {
		t.Fatalf("the recovered stack lacks the panicking function:\n%s", bad.stack)
	}
}

// TestPanicAfterARecovererGoesToThePolicy checks that a plain func that
// panics after a Recoverer ran is not handed to that Recoverer.
func TestPanicAfterARecovererGoesToThePolicy(t *testing.T) {
	var got []error
	l := looptest.Start(t, loop.WithPanicHandler(func(err error) { got = append(got, err) }))
	var log []string
	ok := &recoverJob{name: "ok", log: &log}
	looptest.On(t, l, func() {
		l.MicrotaskJob(ok)
		l.Microtask(func() { panic("plain") })
	})
	looptest.On(t, l, func() {})
	if len(got) != 1 || !strings.Contains(got[0].Error(), "plain") {
		t.Fatalf("panic handler got %v, want the plain func's panic", got)
	}
	if !slices.Equal(log, []string{"ok"}) {
		t.Fatalf("ran %q, want only ok (not recovered)", log)
	}
}

// TestPanickingJobKeepsTheOrder checks that after a scheduled job panics
// (with a panic handler set), its microtasks still run before the next
// job, and the jobs after it run in the same phase.
func TestPanickingJobKeepsTheOrder(t *testing.T) {
	var panicsSeen int
	l := looptest.Start(t, loop.WithPanicHandler(func(error) { panicsSeen++ }))
	var log []string
	looptest.On(t, l, func() {
		l.ScheduleJob(jobFunc(func() {
			l.Microtask(func() { log = append(log, "micro of 1") })
			log = append(log, "job 1")
			panic("job 1")
		}))
		l.ScheduleJob(jobFunc(func() { log = append(log, "job 2") }))
	})
	looptest.On(t, l, func() {})
	want := []string{"job 1", "micro of 1", "job 2"}
	if !slices.Equal(log, want) || panicsSeen != 1 {
		t.Fatalf("ran %q with %d panics, want %q and 1", log, panicsSeen, want)
	}
}

// TestOnClose checks that close hooks run once, in order, after the loop
// has stopped and before Close returns, and at once once it is closed.
func TestOnClose(t *testing.T) {
	l, err := loop.New(loop.WithVirtualTime(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run() }()
	var got []string
	l.OnClose(func() {
		got = append(got, "first")
		if err := l.Post(func() {}); err == nil {
			t.Error("Post accepted inside a close hook")
		}
		if l.OnLoop() {
			t.Error("OnLoop true inside a close hook")
		}
		l.OnClose(func() { got = append(got, "added by a hook") })
	})
	l.OnClose(func() { got = append(got, "second") })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	<-runErr
	want := []string{"first", "second", "added by a hook"}
	if !slices.Equal(got, want) {
		t.Fatalf("hooks ran %q, want %q", got, want)
	}
	ran := false
	l.OnClose(func() { ran = true })
	if !ran {
		t.Fatal("hook added after Close did not run at once")
	}
}

// TestOnCloseWithoutRun checks the hooks of a loop closed before it ran.
func TestOnCloseWithoutRun(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	l.OnClose(func() { ran++ })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if ran != 1 {
		t.Fatalf("hook ran %d times, want 1", ran)
	}
}
