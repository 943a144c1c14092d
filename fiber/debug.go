package fiber

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/loopdebug"
)

// schedDebug is the debugging state of a sched whose loop runs in debug
// mode (loop.WithDebug) or with the stall detector (loop.WithStall). The
// hooks that feed it sit behind "debugbuild.Enabled && s.dbg != nil", so a
// sched without it pays a predicted branch per hook, and a build with the
// weft_nodebug tag nothing. Loop goroutine only, like the sched, except
// what the stall watchdog reads through the loop's Watch.
type schedDebug struct {
	s     *sched
	watch *loopdebug.Watch // the loop's stall detector, nil if it is off
	// sites: debug mode proper, with creation and wait sites, async
	// stack traces, pprof labels and runtime/trace annotations; without
	// it, only the stall detector is fed.
	sites   bool
	runSite *loopdebug.Site // where Run was called: the main fiber's spawn site
	loopID  string
	recs    map[*fiber]*fiberRec
	coros   map[*coro]*coroLabels // each coroutine's goroutine number and labels (trace.go)
}

// fiberRec is what debug mode knows of a fiber, beside it rather than in
// it, so that fibers stay their size without debug mode. Children point
// at their parent's record, which outlives the parent if need be: an
// async stack trace needs the chain after the parent is gone.
type fiberRec struct {
	run    loopdebug.Runner // immutable: the stall watchdog reads it
	parent *fiberRec
	// Where the fiber waits, set when it parks.
	parked bool
	done   bool
	what   string
	since  int64 // loop time it parked at
	wait   loopdebug.Site
	awaits interface{ Site() string } // the future an Await waits for
	trace  traceState                 // trace.go
}

// initDebug sets up what the debugging aids need of s: its fibers are
// listed in dumps (package weft/debug), and in debug mode or with the
// stall detector, s.dbg records them.
func (s *sched) initDebug() {
	e := loopdebug.Lookup(s.l)
	if e == nil {
		return
	}
	e.SetFibers(s.fiberInfos)
	if !debugbuild.Enabled || (!s.l.Debugging() && e.Watch == nil) {
		return
	}
	s.dbg = &schedDebug{
		s:       s,
		watch:   e.Watch,
		sites:   s.l.Debugging(),
		runSite: loopdebug.Callers(1, 2), // Run's caller
		loopID:  fmt.Sprint(s.l.ID()),
		recs:    make(map[*fiber]*fiberRec),
		coros:   make(map[*coro]*coroLabels),
	}
}

// spawned records fb, just started by the running fiber (or by a task).
// On the spawner's stack, from start.
func (d *schedDebug) spawned(fb *fiber) {
	r := &fiberRec{run: loopdebug.Runner{Fiber: fb.id, Entry: fb.body.entry()}}
	if p := d.s.running; p != nil {
		r.parent = d.recs[p]
	}
	switch {
	case !d.sites:
	case fb.id == 1:
		r.run.Spawn = d.runSite // Run's main, started by a task of Run
	default:
		r.run.Spawn = loopdebug.Callers(1, loopdebug.MadeDepth) // from the caller of start: Go, Group.Go
		if g, ok := fb.body.(interface{ debugFuture() any }); ok {
			loopdebug.SetFutureSite(g.debugFuture(), r.run.Spawn) // made by Go, on the same line
		}
	}
	d.recs[fb] = r
}

// debugFuture returns the future of g's fiber, for spawned.
func (g *goFiber[T]) debugFuture() any { return &g.fut }

// enter is called on fb's coroutine each time fb starts or resumes
// running.
func (d *schedDebug) enter(fb *fiber) {
	r := d.recs[fb]
	if r == nil {
		return
	}
	r.parked = false
	d.label(fb.c, r)
	if d.watch != nil {
		d.watch.SetRunner(&r.run)
	}
	if d.sites {
		d.traceEnter(r)
	}
}

// leave is called on fb's coroutine when fb parks or yields; for a park
// it records where fb waits, and since when. (It is called from suspend
// rather than park so that park stays small enough to inline: its frame
// would be stack every parked fiber keeps.)
func (d *schedDebug) leave(fb *fiber) {
	r := d.recs[fb]
	if r == nil {
		return
	}
	if d.watch != nil {
		d.watch.SetRunner(nil)
	}
	d.traceLeave(r)
	if d.sites && fb.state == parked {
		r.parked, r.what, r.since = true, fb.what, d.s.l.Now()
		r.wait.Record(1, loopdebug.WaitDepth) // from suspend's caller
		if fb.what != "Await" {
			r.awaits = nil
		}
	}
}

// exit is called on fb's coroutine when fb's function has returned.
func (d *schedDebug) exit(fb *fiber) {
	r := d.recs[fb]
	if r == nil {
		return
	}
	r.done, r.parked, r.awaits = true, false, nil
	if d.watch != nil {
		d.watch.SetRunner(nil)
	}
	d.traceExit(r)
	delete(d.recs, fb)
}

// awaiting records the future fb is about to Await.
func (d *schedDebug) awaiting(fb *fiber, f interface{ Site() string }) {
	if r := d.recs[fb]; r != nil && d.sites {
		r.awaits = f
	}
}

// traced is a failing fiber's error as the fiber's future, group or Run
// returns it: in debug mode, an *AsyncError with the fiber's async stack
// trace, unless err carries one already (a child's, which includes this
// fiber) or is a cancellation. It is cheap enough for every fiber's
// return: a nil error costs a comparison.
func (fb *fiber) traced(err error) error {
	if debugbuild.Enabled && err != nil && fb.s.dbg != nil {
		return fb.s.dbg.trace(fb, err, false)
	}
	return err
}

// tracedPanic is traced for the error of a panic the fiber's body raised
// (recovered): its AsyncError shows the chain in Error too.
func (fb *fiber) tracedPanic(err error) error {
	if debugbuild.Enabled && fb.s.dbg != nil {
		return fb.s.dbg.trace(fb, err, true)
	}
	return err
}

func (d *schedDebug) trace(fb *fiber, err error, panicked bool) error {
	// A cancellation is no failure anyone needs to trace: whoever
	// cancelled knows (futures do not report it as unhandled either).
	if !d.sites || errors.Is(err, context.Canceled) {
		return err
	}
	var ae *AsyncError
	if errors.As(err, &ae) {
		return err
	}
	r := d.recs[fb]
	if r == nil {
		return err
	}
	now, self := d.s.l.Now(), r
	ae = &AsyncError{Err: err, panicked: panicked}
	for ; r != nil; r = r.parent {
		sp := Spawn{Fiber: r.run.Fiber, Name: r.run.Name(), At: r.run.Spawn.String()}
		switch {
		case r.done:
			sp.State = "done"
		case r == self:
			sp.State = "failing"
		case r.parked:
			sp.State = "parked"
			sp.What = r.what
			sp.For, sp.WaitAt, sp.Awaits = r.waiting(now)
		default:
			sp.State = "ready"
		}
		ae.Chain = append(ae.Chain, sp)
	}
	return ae
}

// An AsyncError is the error of a fiber that failed in debug mode
// (loop.WithDebug, WEFT_DEBUG=1), returned or panicked, with its async
// stack trace: the chain of fibers that spawned it, back to the root,
// each with where it was spawned and, if it is parked, where it waits.
// The failing fiber's own stack is in Err if it panicked (a
// *panics.ErrRecovered).
//
// Debug mode leaves the text of a returned error alone: Error is Err's
// message, and the chain is printed by Stack or by formatting the error
// with %+v. A panic's message is a stack trace already, so there Error
// adds the async stack after it. Unwrap returns Err, so errors.Is and
// errors.As see through an AsyncError, but == does not: compare a fiber's
// error with errors.Is in code that may run in debug mode. A fiber that
// returns an error carrying an AsyncError already (a child's, which goes
// back further), or a cancellation (errors.Is(err, context.Canceled)),
// returns it unchanged.
type AsyncError struct {
	Err error
	// Chain starts with the failing fiber and ends with the root: the
	// main fiber of Run, or a fiber started by a plain task.
	Chain []Spawn

	panicked bool // the fiber panicked: Error shows the chain
}

// A Spawn is one fiber of an AsyncError's chain.
type Spawn struct {
	Fiber uint64 // the fiber's number on its loop
	Name  string // its function
	// At is "file:line (function)" of the call that started it (Go,
	// Group.Go, Run), outside weft's own packages.
	At string
	// State is "failing" for the first, and "parked", "ready" or "done"
	// for the others when the error was made.
	State string
	// For a parked fiber: what it waits in ("Await", "Group.Wait",
	// "Mutex.Lock"), for how long so far on its loop's clock, where
	// ("file:line (function)"), and, in an Await, where the future it
	// awaits was made ("" if unknown).
	What   string
	For    time.Duration
	WaitAt string
	Awaits string
}

// Error is Err's message; for a panic, followed by the async stack.
func (e *AsyncError) Error() string {
	if !e.panicked {
		return e.Err.Error()
	}
	return e.full()
}

// full is Err's message, a blank line and the async stack.
func (e *AsyncError) full() string {
	return strings.TrimRight(e.Err.Error(), "\n") + "\n\n" + e.Stack()
}

// Format prints the error: %+v is Err's message followed by the async
// stack, every other verb prints Error as it would any error.
func (e *AsyncError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('+') {
		fmt.Fprint(f, e.full())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), e.Error())
}

// Stack is the chain as text, one fiber to a line from the failing one to
// the root, each followed by where it waits and where it was spawned:
//
//	async stack:
//	fiber 3 [failing]: main.fetchPage
//		spawned at /src/crawl/crawl.go:30 (main.crawl)
//	fiber 1 [parked in Await for 219µs]: main.crawl
//		waiting at /src/crawl/crawl.go:30 (main.crawl)
//		...
func (e *AsyncError) Stack() string {
	var b strings.Builder
	b.WriteString("async stack:")
	for _, sp := range e.Chain {
		state := sp.State
		if sp.What != "" {
			state += " in " + sp.What + " for " + sp.For.Round(time.Microsecond).String()
		}
		fmt.Fprintf(&b, "\nfiber %d [%s]: %s", sp.Fiber, state, sp.Name)
		if sp.WaitAt != "" {
			b.WriteString("\n\twaiting at " + sp.WaitAt)
		}
		if sp.Awaits != "" {
			b.WriteString("\n\ton a future made at " + sp.Awaits)
		}
		if sp.At != "" {
			b.WriteString("\n\tspawned at " + sp.At)
		}
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *AsyncError) Unwrap() error { return e.Err }

var stateNames = [...]string{ready: "ready", running: "running", parked: "parked", done: "done"}

// waiting is where r's parked fiber waits: for how long at loop time now,
// the wait site, and the site of the future it awaits ("" if none).
func (r *fiberRec) waiting(now int64) (d time.Duration, at, awaits string) {
	if r.awaits != nil {
		awaits = r.awaits.Site()
	}
	return time.Duration(now - r.since), r.wait.String(), awaits
}

// fiberInfos lists s's live fibers for a dump, by number. On the loop.
func (s *sched) fiberInfos() []loopdebug.FiberInfo {
	live := slices.Clone(s.live)
	slices.SortFunc(live, func(a, b *fiber) int { return cmp.Compare(a.id, b.id) })
	out := make([]loopdebug.FiberInfo, 0, len(live))
	now := s.l.Now()
	for _, fb := range live {
		fi := loopdebug.FiberInfo{ID: fb.id, Name: fb.name(), State: stateNames[fb.state]}
		if fb.state == parked {
			fi.What = fb.what
		}
		if debugbuild.Enabled && s.dbg != nil {
			if r := s.dbg.recs[fb]; r != nil {
				if r.parent != nil {
					fi.Parent = r.parent.run.Fiber
				}
				fi.Spawned = r.run.Spawn.String()
				if fb.state == parked && r.parked {
					fi.For, fi.WaitAt, fi.Awaits = r.waiting(now)
				}
			}
		}
		out = append(out, fi)
	}
	return out
}
