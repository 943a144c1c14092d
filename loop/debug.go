package loop

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/loopdebug"
)

// debugConfig is what WithDebug and WithStall set.
type debugConfig struct {
	on       bool
	stallSet bool // WithStall was given: its threshold wins over the default
	stall    time.Duration
	onStall  func(Stall)
}

// debugFields are a Loop's fields for the debugging aids: its number,
// debug mode, the stall detector and the lag histogram (debug.go,
// stall.go, metrics.go).
type debugFields struct {
	id      uint64
	on      bool             // debug mode
	watch   *loopdebug.Watch // the stall detector's heartbeat; nil when it is off
	stall   time.Duration
	onStall func(Stall)
	lag     lagHist
}

// WithDebug switches on debug mode for the loop, as WEFT_DEBUG=1 in the
// environment does for every loop made while it is set. In debug mode:
//
//   - the stall detector runs, with a threshold of DefaultStallThreshold
//     unless WithStall sets another;
//   - fibers and futures of the loop record where they were made, and
//     fibers where they wait, for the async stack traces of package fiber
//     and the dumps of package weft/debug;
//   - the loop's goroutine carries the pprof label weft.loop (its ID) and
//     each fiber the labels weft.loop and weft.fiber (its function), so a
//     CPU profile splits by fiber; Run leaves its goroutine without labels
//     when it returns (the stall detector alone labels the goroutines too,
//     see WithStall);
//   - while runtime/trace records, each fiber is a trace task, and each
//     stretch it runs a region, named after its function.
//
// It costs: a spawn, a park and a future made record a call stack (a park
// and wake 4-5 µs instead of 0.3, a spawn 4-5 µs instead of 0.3-0.5,
// docs/debugging.md, "What it costs"). Without debug mode the
// hooks cost a predicted branch each; a build with the weft_nodebug tag
// has none, and WithDebug does nothing there.
func WithDebug() Option {
	return func(c *config) { c.debug.on = true }
}

// WithStall sets the stall detector: anything that holds the loop for
// longer than threshold without returning to it (a task, timer callback,
// readiness handler, microtask drain or fiber) is reported to report,
// with the stack of the goroutine running it, captured while it still
// runs. A watchdog goroutine, started by Run and gone when Run returns,
// reads the loop's heartbeat every threshold/4, so a stall is reported
// between threshold and 1.5×threshold after it began, once. report runs
// on that goroutine; nil logs the report with the standard logger.
//
// To find the offender's stack the watchdog takes a goroutine profile
// (runtime/pprof) and picks the goroutine by its pprof label
// weft.goroutine, which the loop's goroutine and its fibers' carry while
// the detector is on (with weft.loop; Run leaves its goroutine without
// labels when it returns). That stops the world for well under a
// millisecond even with 10,000 goroutines; if user code replaced the
// labels, the watchdog falls back to runtime.Stack of every goroutine,
// which stops the world for the whole formatting, 18-47 µs per
// goroutine (BenchmarkStall_Capture, docs/debugging.md).
//
// A threshold of zero or less switches the detector off, in debug mode
// too. The loop's side costs an atomic store per task, callback or fiber
// switch while the detector is on. In a build with the weft_nodebug tag
// the detector does not exist and WithStall does nothing.
func WithStall(threshold time.Duration, report func(Stall)) Option {
	return func(c *config) {
		c.debug.stallSet, c.debug.stall, c.debug.onStall = true, threshold, report
	}
}

// envDebug reports whether WEFT_DEBUG=1 is set; the environment is read
// once, by the first New.
var envDebug = sync.OnceValue(func() bool { return os.Getenv("WEFT_DEBUG") == "1" })

// loopIDs numbers loops.
var loopIDs atomic.Uint64

// initDebug sets up l's debugging aids from c and registers l for the
// dumps and metrics of package weft/debug, until l is released.
func (l *Loop) initDebug(c *config) {
	d := &l.debug
	d.id = loopIDs.Add(1)
	if debugbuild.Enabled {
		d.on = c.debug.on || envDebug()
		switch {
		case c.debug.stallSet:
			d.stall = c.debug.stall
		case d.on:
			d.stall = DefaultStallThreshold
		}
		d.onStall = c.debug.onStall
		if d.stall > 0 {
			d.watch = &loopdebug.Watch{}
		}
	}
	loopdebug.Register(&loopdebug.Entry{ID: d.id, Loop: l, Watch: d.watch})
	l.OnClose(func() { loopdebug.Unregister(l) })
}

// ID returns l's number, unique in the process: loops are numbered from 1
// in the order New made them. Stall reports, dumps, metrics and pprof
// labels name loops by it. Safe from any goroutine.
func (l *Loop) ID() uint64 { return l.debug.id }

// Debugging reports whether l runs in debug mode (WithDebug, or
// WEFT_DEBUG=1 when l was made). The layers above ask it before they
// record where a fiber or future is made. Always false in a build with the
// weft_nodebug tag. Safe from any goroutine; it costs a load.
func (l *Loop) Debugging() bool { return debugbuild.Enabled && l.debug.on }

// beat tells the stall detector that the loop starts a unit of kind k.
// Callers check debugbuild.Enabled and l.debug.watch first.
func (l *Loop) beat(k loopdebug.Kind) { l.debug.watch.Beat(k) }

func nop() {}

// startDebug starts what Run needs in debug mode or with the stall
// detector, on Run's goroutine, and returns what undoes it.
func (l *Loop) startDebug() (stop func()) {
	d := &l.debug
	if !debugbuild.Enabled || (!d.on && d.watch == nil) {
		return nop
	}
	kv := []string{loopdebug.LoopLabel, strconv.FormatUint(d.id, 10)}
	stopWatch := nop
	if d.watch != nil {
		n := gid.Number()
		d.watch.AddGoroutine(gid.Current(), n)
		kv = append(kv, loopdebug.GoroutineLabel, strconv.FormatInt(n, 10))
		stopWatch = l.watchStalls()
	}
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(kv...)))
	return func() {
		stopWatch()
		pprof.SetGoroutineLabels(context.Background())
	}
}
