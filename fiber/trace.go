package fiber

import (
	"context"
	"fmt"
	"runtime/pprof"
	"runtime/trace"
	"strconv"

	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/loopdebug"
)

// traceState is a fiber's runtime/trace task, made the first time the
// fiber runs while a trace records, and its region while it runs. Regions
// begin and end on the fiber's coroutine, as runtime/trace requires.
type traceState struct {
	ctx    context.Context // carries the task
	task   *trace.Task
	region *trace.Region
}

// traceEnter opens a region for r's fiber, which starts or resumes
// running, under its task (made now if need be, as a child of its
// parent's). Nothing unless a trace is being recorded.
func (d *schedDebug) traceEnter(r *fiberRec) {
	if !trace.IsEnabled() {
		return
	}
	t := &r.trace
	if t.task == nil {
		parent := context.Background()
		if p := r.parent; p != nil && p.trace.ctx != nil {
			parent = p.trace.ctx
		}
		t.ctx, t.task = trace.NewTask(parent, r.run.Name())
		trace.Log(t.ctx, "weft.fiber", fmt.Sprintf("fiber %d of loop %s", r.run.Fiber, d.loopID))
	}
	t.region = trace.StartRegion(t.ctx, r.run.Name())
}

// traceLeave ends the region of r's fiber, which parks or yields.
func (d *schedDebug) traceLeave(r *fiberRec) {
	if t := &r.trace; t.region != nil {
		t.region.End()
		t.region = nil
	}
}

// traceExit ends the region and the task of r's fiber, which is done.
func (d *schedDebug) traceExit(r *fiberRec) {
	d.traceLeave(r)
	if t := &r.trace; t.task != nil {
		t.task.End()
		t.task, t.ctx = nil, nil
	}
}

// coroLabels is a coroutine's goroutine number, once known, and the pprof
// labels it runs its fiber under.
type coroLabels struct {
	goid  int64
	entry uintptr         // the function the labels name
	ctx   context.Context // carries the labels
}

// label gives the goroutine of r's fiber, which starts or resumes, the
// pprof labels weft.loop, weft.fiber (its function, in debug mode) and
// weft.goroutine (its number, with the stall detector, which finds the
// offender's stack by it). They are set again at every resumption, a
// pointer store, because the fiber's code may have replaced them
// (pprof.Do restores the labels of its context, which are not these);
// the label set is made only when the coroutine's fiber runs another
// function than the last.
func (d *schedDebug) label(c *coro, r *fiberRec) {
	cl := d.coros[c]
	if cl == nil {
		cl = &coroLabels{}
		d.coros[c] = cl
		if d.watch != nil {
			// Once per coroutine: the goroutine's number, by which the
			// watchdog finds it, costs a formatted stack.
			cl.goid = gid.Number()
			d.watch.AddGoroutine(gid.Current(), cl.goid)
		}
	}
	var entry uintptr
	if d.sites {
		entry = r.run.Entry
	}
	if cl.ctx == nil || cl.entry != entry {
		kv := []string{loopdebug.LoopLabel, d.loopID}
		if d.sites {
			kv = append(kv, loopdebug.FiberLabel, r.run.Name())
		}
		if d.watch != nil {
			kv = append(kv, loopdebug.GoroutineLabel, strconv.FormatInt(cl.goid, 10))
		}
		cl.ctx, cl.entry = pprof.WithLabels(context.Background(), pprof.Labels(kv...)), entry
	}
	pprof.SetGoroutineLabels(cl.ctx)
}
