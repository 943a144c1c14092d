//go:build unix && !weft_nodebug

package loop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/loop"
)

// stallThreshold is short, to keep the tests quick; the callbacks below
// block until their stall has been reported, however long that takes, so
// nothing depends on it being short.
const stallThreshold = 20 * time.Millisecond

// stallCatcher is a stall handler that keeps the first report and then
// releases the callback that caused it.
type stallCatcher struct {
	once    sync.Once
	reports chan loop.Stall
	release chan struct{}
}

func newStallCatcher() *stallCatcher {
	return &stallCatcher{reports: make(chan loop.Stall, 1), release: make(chan struct{})}
}

func (c *stallCatcher) report(s loop.Stall) {
	c.once.Do(func() {
		c.reports <- s
		close(c.release)
	})
}

func (c *stallCatcher) wait(t *testing.T) loop.Stall {
	t.Helper()
	select {
	case s := <-c.reports:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no stall reported within 20s")
		panic("unreachable")
	}
}

// blockingCallback blocks its loop until release is closed: the kind of
// call (a channel receive, a lock, a blocking syscall) that must never
// run on a loop.
//
//go:noinline
func blockingCallback(release <-chan struct{}) { <-release }

// spinningCallback holds its loop by computing until release is set.
//
//go:noinline
func spinningCallback(release *atomic.Bool) {
	for !release.Load() {
	}
}

func TestStall_BlockingTaskReportedWithItsStack(t *testing.T) {
	fds := fdtest.Count(t)
	t.Cleanup(func() { // after the loop's Close, which start arranged
		if n := fdtest.Count(t); n != fds {
			t.Errorf("fds: %d before, %d after the loop closed: %s", fds, n, fdtest.List())
		}
	})
	c := newStallCatcher()
	l := start(t, loop.WithStall(stallThreshold, c.report))
	var loopG int64
	on(t, l, func() { loopG = gid.Number() })
	if err := l.Post(func() { blockingCallback(c.release) }); err != nil {
		t.Fatal(err)
	}
	s := c.wait(t)
	if s.Loop != l.ID() || s.What != "task" || s.Held < stallThreshold || s.Goroutine != loopG {
		t.Errorf("report = loop %d, %q, held %v, goroutine %d; want loop %d, \"task\", at least %v, goroutine %d",
			s.Loop, s.What, s.Held, s.Goroutine, l.ID(), stallThreshold, loopG)
	}
	if !strings.Contains(s.Stack, "loop_test.blockingCallback") || !strings.HasPrefix(s.Stack, fmt.Sprintf("goroutine %d [", loopG)) {
		t.Errorf("the stack does not show the blocking callback on the loop's goroutine:\n%s", s.Stack)
	}
	if got := l.Stats().Stalls; got != 1 {
		t.Errorf("Stats().Stalls = %d, want 1", got)
	}
	if !strings.Contains(s.String(), "loop_test.blockingCallback") || !strings.Contains(s.String(), "stalled: task has held it for") {
		t.Errorf("String() = %q", s.String())
	}
	on(t, l, func() {}) // the loop goes on
}

func TestStall_SpinningTimerCallback(t *testing.T) {
	c := newStallCatcher()
	l := start(t, loop.WithStall(stallThreshold, c.report))
	var release atomic.Bool
	go func() { <-c.release; release.Store(true) }()
	on(t, l, func() { l.AfterFunc(0, func() { spinningCallback(&release) }) })
	s := c.wait(t)
	if s.What != "timer callback" || !strings.Contains(s.Stack, "loop_test.spinningCallback") {
		t.Errorf("report = %q with stack:\n%s", s.What, s.Stack)
	}
}

func TestStall_DebugModeDefaultsToDetector(t *testing.T) {
	// WithDebug turns the detector on at DefaultStallThreshold; WithStall
	// with 0 turns it off again, and without either there is none.
	for _, tc := range []struct {
		name  string
		opts  []loop.Option
		debug bool
	}{
		{"plain", nil, false},
		{"debug", []loop.Option{loop.WithDebug()}, true},
		{"debug-no-stall", []loop.Option{loop.WithDebug(), loop.WithStall(0, nil)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := loop.New(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			// WEFT_DEBUG=1 in the environment puts every loop in debug mode.
			if want := tc.debug || os.Getenv("WEFT_DEBUG") == "1"; l.Debugging() != want {
				t.Errorf("Debugging() = %v, want %v", l.Debugging(), want)
			}
		})
	}
	c := newStallCatcher()
	l := start(t, loop.WithDebug(), loop.WithStall(0, nil), loop.WithStall(stallThreshold, c.report))
	if err := l.Post(func() { blockingCallback(c.release) }); err != nil {
		t.Fatal(err)
	}
	if s := c.wait(t); s.What != "task" {
		t.Errorf("What = %q", s.What)
	}
}

func TestLoop_IDsAreUniqueAndIncreasing(t *testing.T) {
	a, b := start(t), start(t)
	if a.ID() == 0 || b.ID() <= a.ID() {
		t.Errorf("IDs %d then %d, want increasing from 1", a.ID(), b.ID())
	}
}

func TestLagHistogram(t *testing.T) {
	l, err := loop.New(loop.WithVirtualTime(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	// On virtual time a timer fires exactly at its deadline: lag 0, the
	// first bucket, one count per turn that fired timers.
	const turns = 5
	n := 0
	var next func()
	next = func() {
		if n++; n < turns {
			l.AfterFunc(time.Second, next)
		} else {
			l.Stop()
		}
	}
	l.Post(func() { l.AfterFunc(time.Second, next) })
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.LagHist[0] != turns || s.LagSum != 0 {
		t.Errorf("LagHist[0] = %d, LagSum = %v; want %d, 0", s.LagHist[0], s.LagSum, turns)
	}
	var total uint64
	for _, c := range s.LagHist {
		total += c
	}
	if total != turns {
		t.Errorf("histogram total %d, want %d", total, turns)
	}
}

func TestLagBound(t *testing.T) {
	if loop.LagBound(0) != time.Microsecond || loop.LagBound(10) != 1024*time.Microsecond {
		t.Errorf("LagBound(0), (10) = %v, %v", loop.LagBound(0), loop.LagBound(10))
	}
	if loop.LagBound(loop.LagBuckets-1) < loop.LagBound(loop.LagBuckets-2)*1000 {
		t.Errorf("the last bucket is not open-ended: %v", loop.LagBound(loop.LagBuckets-1))
	}
}

func TestFindGoroutine(t *testing.T) {
	dump := []byte("goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n\ngoroutine 12 [chan receive]:\nmain.f()\n\t/x.go:2\n\ngoroutine 123 [select]:\nmain.g()\n")
	if got := loop.FindGoroutine(dump, 12); got != "goroutine 12 [chan receive]:\nmain.f()\n\t/x.go:2" {
		t.Errorf("goroutine 12: %q", got)
	}
	if got := loop.FindGoroutine(dump, 123); got != "goroutine 123 [select]:\nmain.g()" {
		t.Errorf("goroutine 123: %q", got)
	}
	if got := loop.FindGoroutine(dump, 2); got != "" {
		t.Errorf("goroutine 2: %q", got)
	}
	me := gid.Number()
	if s := loop.GoroutineStack(me); !strings.Contains(s, "TestFindGoroutine") {
		t.Errorf("GoroutineStack of the test's own goroutine:\n%s", s)
	}
}

// TestDebug_FromEnvironment runs itself in a child process with
// WEFT_DEBUG=1, which is read once per process.
func TestDebug_FromEnvironment(t *testing.T) {
	if os.Getenv("WEFT_DEBUG_CHILD") == "1" {
		l, err := loop.New()
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Printf("debugging=%v\n", l.Debugging())
		l.Close()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDebug_FromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEFT_DEBUG=1", "WEFT_DEBUG_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "debugging=true") {
		t.Fatalf("child with WEFT_DEBUG=1: %v\n%s", err, out)
	}
}

// A task that replaced its goroutine's pprof labels cannot be found in a
// goroutine profile: the detector falls back to runtime.Stack.
func TestStall_FallbackWhenLabelsReplaced(t *testing.T) {
	c := newStallCatcher()
	l := start(t, loop.WithStall(stallThreshold, c.report))
	if err := l.Post(func() {
		pprof.SetGoroutineLabels(context.Background())
		blockingCallback(c.release)
	}); err != nil {
		t.Fatal(err)
	}
	s := c.wait(t)
	if !strings.Contains(s.Stack, " [chan receive]:\n") || !strings.Contains(s.Stack, "loop_test.blockingCallback(") {
		t.Errorf("stack, from runtime.Stack:\n%s", s.Stack)
	}
}

func TestFindLabelled(t *testing.T) {
	profile := []byte("goroutine profile: total 3\n" +
		"1 @ 0x1 0x2\n# labels: {\"weft.goroutine\":\"7\", \"weft.loop\":\"1\"}\n" +
		"#\t0x1\tmain.f+0x10\t\t\t/x/main.go:12\n#\t0x2\tmain.main+0x2\t/x/main.go:3\n\n" +
		"2 @ 0x3\n# labels: {\"weft.goroutine\":\"77\"}\n#\t0x3\tmain.g+0x1\t/x/main.go:20\n")
	want := "goroutine 7 [from a goroutine profile]:\nmain.f(...)\n\t/x/main.go:12 +0x10\nmain.main(...)\n\t/x/main.go:3 +0x2"
	if got := loop.FindLabelled(profile, 7); got != want {
		t.Errorf("goroutine 7:\n%s\nwant:\n%s", got, want)
	}
	if got := loop.FindLabelled(profile, 8); got != "" {
		t.Errorf("goroutine 8: %q", got)
	}
}

// BenchmarkStall_Capture measures what a stall report costs with n
// goroutines in the process, 10 frames deep: a goroutine profile and the
// search for the offender by its label (how=profile, what the detector
// does), against runtime.Stack of every goroutine (how=stack-all, its
// fallback). stw-µs/op is the time the world was stopped (a lower bound,
// from runtime/metrics).
func BenchmarkStall_Capture(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		for _, how := range []string{"profile", "stack-all"} {
			b.Run(fmt.Sprintf("goroutines=%d/how=%s", n, how), func(b *testing.B) {
				stop := make(chan struct{})
				var wg sync.WaitGroup
				for range n - runtime.NumGoroutine() {
					wg.Go(func() { deep(8, stop) })
				}
				me := gid.Number()
				pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("weft.goroutine", fmt.Sprint(me))))
				defer pprof.SetGoroutineLabels(context.Background())
				capture := loop.OffenderStack
				if how == "stack-all" {
					capture = loop.GoroutineStack
				}
				stw := stwSeconds()
				for b.Loop() {
					if !strings.Contains(capture(me), "BenchmarkStall_Capture") {
						b.Fatal("own goroutine not found")
					}
				}
				b.ReportMetric((stwSeconds()-stw)/float64(b.N)*1e6, "stw-µs/op")
				close(stop)
				wg.Wait()
			})
		}
	}
}

// deep parks on stop n frames down.
func deep(n int, stop chan struct{}) {
	if n == 0 {
		<-stop
		return
	}
	deep(n-1, stop)
}

// stwSeconds returns the total time the world has been stopped for other
// reasons than the garbage collector, from runtime/metrics' histogram of
// pauses: a lower bound, each pause counted at its bucket's lower bound.
func stwSeconds() float64 {
	s := []metrics.Sample{{Name: "/sched/pauses/total/other:seconds"}}
	metrics.Read(s)
	total := 0.0
	h := s[0].Value.Float64Histogram()
	for i, c := range h.Counts {
		total += float64(c) * max(h.Buckets[i], 0)
	}
	return total
}
