package fiber

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/loop"
)

// errKilled unwinds a fiber whose loop closed while it was parked: park
// panics with it, the fiber's deferred calls run, and the fiber's body
// recovers it. A fiber that recovers it itself cannot go on: its next
// fiber call panics (the loop has no owner any more).
var errKilled = errors.New("fiber: killed: its loop closed")

// fiber states.
const (
	ready   = iota // scheduled to run
	running        // on its coroutine now
	parked         // waiting for a wake
	done           // body returned
)

// sched is the fiber runtime of one loop: which fiber runs, the parked
// ones, and the finished coroutines kept for reuse. Loop goroutine only,
// like everything the loop owns.
type sched struct {
	l       *loop.Loop
	loopGid uintptr  // the loop goroutine's identity
	running *fiber   // the fiber on its coroutine, nil when the loop runs
	idle    []*coro  // finished coroutines, reused by the next spawns
	live    []*fiber // every fiber not yet done (each knows its index)
	nextID  uint64
	closing bool // the loop closed: fibers are being killed
	// stacks holds where each parked fiber waits, recorded for a deadlock
	// report by the fiber itself while it is the one recording.
	stacks    map[*fiber]string
	recording *fiber // resumed only to record its stack
	// watched are the fibers parked on a cancellable context (each knows
	// its index), for wakeCancelled.
	watched []*fiber
	// parents are the watches on the contexts fibers were started with
	// (watchParent), by context.
	parents    map[<-chan struct{}]*parentWatch
	lastParent *parentWatch // the last one found or made, checked first
	onIdle     func()
	freshFn    func(any) bool // s.isFresh
	dbg        *schedDebug    // debug mode or the stall detector (debug.go); nil otherwise
}

// A coro is a runtime coroutine (iter.Pull) that runs fibers one after
// the other: spawning a fiber on a finished coroutine costs no new
// goroutine (docs/fiber.md).
type coro struct {
	next  func() (bool, bool)
	stop  func()
	yield func(bool) bool
	gid   uintptr
	fb    *fiber // the fiber it runs, nil between fibers
}

// A fiber is one cooperatively scheduled thread of control on a loop. It
// is also the context.Context its function receives: Done, Err, Deadline
// and other values come from the context it was started with, and the
// fiber itself is found by Value, so starting a fiber makes no context.
//
// Its fields are laid out to keep it small (136 bytes): Go allocates one
// with every spawn (docs/benchmarks.md), and what only a deadlock report
// needs lives in sched.
type fiber struct {
	context.Context // the context the fiber was started with
	s               *sched
	c               *coro
	id              uint64
	seq             uint64 // counts parks; a wake for an older park is stale
	body            runner
	wakeErr         error
	what            string          // what the fiber waits for while parked
	parent          *parentWatch    // the watch on Context this fiber counts in, once it waited on it
	waitCtx         context.Context // the cancellable context of the current wait (parkCtx)
	// at is the fiber's index in sched.live (at[inLive]) and in
	// sched.watched (at[inWatched], -1 when not watched).
	at    [2]int32
	state uint8
	// awaitBusy: the fiber's own await reaction (awaitWake) is attached to
	// a future that has not settled yet; awaitLive: the fiber is still in
	// the Await that attached it.
	awaitBusy, awaitLive bool
}

type fiberKey struct{}

// Value returns the fiber for this package's key, and asks the context
// the fiber was started with for any other.
func (fb *fiber) Value(key any) any {
	if key == (fiberKey{}) {
		return fb
	}
	return fb.Context.Value(key)
}

// name is the fiber's function, for reports.
func (fb *fiber) name() string { return loopdebug.FuncName(fb.body.entry()) }

// Run resumes fb: a fiber is the loop.Job that schedules it, so waking one
// queues no closure.
func (fb *fiber) Run() { fb.s.resume(fb) }

func newSched(l *loop.Loop) *sched { return &sched{l: l} }

// newCoro makes a coroutine and runs it to its first yield, where it has
// recorded its goroutine's identity. Loop goroutine only.
func (s *sched) newCoro() *coro {
	c := &coro{}
	// A func literal rather than the method value c.loop, whose wrapper
	// would be one more frame under every fiber.
	c.next, c.stop = iter.Pull(func(yield func(bool) bool) { c.loop(yield) })
	c.next()
	return c
}

// loop is the body of a coroutine: run the fiber it was given, hand the
// loop back, report that the fiber finished, and wait for the next one.
func (c *coro) loop(yield func(bool) bool) {
	c.yield = yield
	c.gid = gid.Current()
	if !yield(false) {
		return
	}
	for {
		fb := c.fb
		if debugbuild.Enabled && fb.s.dbg != nil {
			fb.s.dbg.enter(fb)
		}
		fb.body.run(fb)
		c.fb = nil
		s := fb.s
		if debugbuild.Enabled && s.dbg != nil {
			s.dbg.exit(fb)
		}
		s.finish(fb)
		if s.closing {
			if !yield(true) {
				return
			}
			continue
		}
		// If the next ready job is a fiber that has not started, start it
		// here: the loop would switch back only to switch to a coroutine
		// again (a spawn costs two switches fewer).
		if next := s.takeFresh(); next != nil {
			next.c, c.fb = c, next
			next.state = running
			s.running = next
			continue
		}
		loopctl.HandOff(s.l, s.loopGid)
		if !yield(true) {
			return
		}
	}
}

// takeFresh takes the loop's next ready job if it is a fiber of s that has
// not started yet (loopctl.TakeReady), for the coroutine that is on the
// loop now. It returns nil otherwise.
func (s *sched) takeFresh() *fiber {
	if s.freshFn == nil {
		s.freshFn = s.isFresh // one func value, not one per call
	}
	j := loopctl.TakeReady(s.l, s.freshFn)
	if j == nil {
		return nil
	}
	return j.(*fiber)
}

func (s *sched) isFresh(j any) bool {
	fb, ok := j.(*fiber)
	return ok && fb.s == s && fb.state == ready && fb.c == nil
}

// A runner is what a fiber runs. Each kind of fiber (Go's, a Group's,
// Run's main) is a struct that embeds the fiber and is its own runner, so
// a spawn is one allocation holding the fiber, the user's function and
// whatever the kind needs.
type runner interface {
	// run calls the user's function; it recovers the function's panics
	// and errKilled itself.
	run(fb *fiber)
	// entry is the user's function's entry, for reports: worked out only
	// when a report needs it (reflect was 4 % of a CPU profile of Fiber_Spawn).
	entry() uintptr
}

// start sets up fb, allocated by the caller as part of body, and
// schedules it.
func (s *sched) start(fb *fiber, ctx context.Context, body runner) {
	s.nextID++
	fb.Context, fb.s, fb.id, fb.state = ctx, s, s.nextID, ready
	fb.body = body
	fb.at = [2]int32{inLive: int32(len(s.live)), inWatched: -1}
	s.live = append(s.live, fb)
	if done := ctx.Done(); done != nil {
		// Watched from the start, on the spawner's stack rather than at
		// the fiber's first park, where a registration's frames would
		// grow the new fiber's stack for good (docs/fiber.md).
		s.watchParent(fb, done)
	}
	if debugbuild.Enabled && s.dbg != nil {
		s.dbg.spawned(fb)
	}
	s.l.ScheduleJob(fb)
}

// resume switches to fb until it parks or finishes. Loop goroutine only.
func (s *sched) resume(fb *fiber) {
	if fb.state != ready || s.closing {
		return
	}
	if fb.c == nil {
		if n := len(s.idle); n > 0 {
			fb.c, s.idle = s.idle[n-1], s.idle[:n-1]
		} else {
			fb.c = s.newCoro()
		}
		fb.c.fb = fb
	}
	c := fb.c
	fb.state = running
	s.running = fb
	loopctl.HandOff(s.l, c.gid)
	finished, ok := c.next()
	// Back on the loop goroutine, which the fiber handed the loop to.
	s.running = nil
	if ok && finished {
		s.idle = append(s.idle, c)
	}
}

// finish is called on the fiber's coroutine when its body has returned.
func (s *sched) finish(fb *fiber) {
	fb.state = done
	fb.c = nil
	s.unwatchParent(fb)
	s.unlive(fb)
	if len(s.live) == 0 && s.onIdle != nil {
		s.onIdle()
	}
}

// unlive removes fb from the live fibers, in constant time.
func (s *sched) unlive(fb *fiber) {
	s.live = swapRemove(s.live, fb, inLive)
}

// The lists a fiber knows its index in (fiber.at).
const (
	inLive = iota
	inWatched
)

// swapRemove removes fb from list in constant time, moving the last fiber
// into its place. Each fiber of list knows its index there, at[k]; fb's
// becomes -1. A fiber not in list (at -1, or stale) is left alone.
func swapRemove(list []*fiber, fb *fiber, k int) []*fiber {
	i := int(fb.at[k])
	if i < 0 || i >= len(list) || list[i] != fb {
		return list
	}
	last := len(list) - 1
	list[i] = list[last]
	list[i].at[k] = int32(i)
	list[last] = nil
	fb.at[k] = -1
	return list[:last]
}

// park suspends the running fiber until wake; it returns the error wake
// was given. Called on the fiber's coroutine.
func (fb *fiber) park(what string) error {
	fb.seq++
	fb.state = parked
	fb.what = what
	fb.suspend()
	fb.what = ""
	return fb.wakeErr
}

// suspend switches from the fiber back to the loop until the fiber is
// resumed. Called on the fiber's coroutine; the caller has arranged for
// the resumption (a wake, a scheduled job).
func (fb *fiber) suspend() {
	s := fb.s
	if s.closing {
		panic(errKilled)
	}
	if debugbuild.Enabled && s.dbg != nil {
		s.dbg.leave(fb)
	}
	for {
		loopctl.HandOff(s.l, s.loopGid)
		if !fb.c.yield(false) {
			panic(errKilled)
		}
		if s.closing {
			panic(errKilled)
		}
		if s.recording != fb {
			break
		}
		// Woken only to say where it waits, for a deadlock report.
		s.recording = nil
		s.stacks[fb] = stackOf()
		fb.state = parked
	}
	if debugbuild.Enabled && s.dbg != nil {
		s.dbg.enter(fb)
	}
}

// wake makes fb runnable again with err, if it is still parked in the
// park numbered seq. Loop goroutine only.
func (fb *fiber) wake(seq uint64, err error) bool {
	if fb.state != parked || fb.seq != seq {
		return false
	}
	fb.state = ready
	fb.wakeErr = err
	fb.s.l.ScheduleJob(fb)
	return true
}

// watch and unwatch add and remove fb, parked on the cancellable context
// ctx, to the watched fibers, in constant time and without allocating (a
// map here cost a fifth of a Mutex hand-off).
func (s *sched) watch(fb *fiber, ctx context.Context) {
	fb.waitCtx = ctx
	fb.at[inWatched] = int32(len(s.watched))
	s.watched = append(s.watched, fb)
}

func (s *sched) unwatch(fb *fiber) {
	fb.waitCtx = nil
	s.watched = swapRemove(s.watched, fb, inWatched)
}

// A parentWatch is one context.AfterFunc on the contexts the loop's fibers
// were started with that share one Done channel, shared by all those
// fibers: when it fires, wakeCancelled (posted to the loop) wakes the ones
// parked on it. One registration per fiber would cost each fiber an entry
// in the context's map of children, and that insert, at the fiber's first
// park, doubled the stack of every fiber of a server (2 to 4 KiB,
// docs/fiber.md). The Done channel is the key because it is what
// cancellation shares (values layered on one context share it too) and
// because a channel always compares, where a context of a struct type may
// not.
type parentWatch struct {
	done <-chan struct{}
	stop func() bool
	n    int // fibers counting on it
}

// watchParent makes fb count on the watch of the context it was started
// with, whose Done channel is done, registering the watch if it is the
// first.
// Called when fb starts, on the spawner's stack.
func (s *sched) watchParent(fb *fiber, done <-chan struct{}) {
	pw := s.lastParent // spawns mostly share their parent with the last one
	if pw == nil || pw.done != done {
		pw = s.parents[done]
	}
	if pw == nil {
		pw = &parentWatch{done: done}
		pw.stop = context.AfterFunc(fb.Context, func() { _ = s.l.Post(func() { s.wakeCancelled() }) })
		if s.parents == nil {
			s.parents = make(map[<-chan struct{}]*parentWatch)
		}
		s.parents[done] = pw
	}
	s.lastParent = pw
	pw.n++
	fb.parent = pw
}

// unwatchParent ends fb's count on its watch; the last one stops it.
func (s *sched) unwatchParent(fb *fiber) {
	pw := fb.parent
	if pw == nil {
		return
	}
	fb.parent = nil
	if pw.n--; pw.n == 0 {
		pw.stop()
		delete(s.parents, pw.done)
		if s.lastParent == pw {
			s.lastParent = nil
		}
	}
}

// wakeCancelled wakes, with their context's error, the parked fibers whose
// context is done but whose wake (posted by context.AfterFunc's goroutine)
// has not arrived yet, and reports whether it woke any. The loop asks
// before it calls itself stuck and before virtual time jumps, so neither a
// deadlock report nor the clock overtakes a cancellation that already
// happened. It looks at each watched fiber, asking a context shared by
// consecutive ones (a group's children) once.
func (s *sched) wakeCancelled() bool {
	woke := false
	var (
		last    <-chan struct{}
		lastErr error
	)
	for i := 0; i < len(s.watched); i++ {
		fb := s.watched[i]
		key := fb.waitCtx
		if key == context.Context(fb) {
			key = fb.Context // a wait on its own context
		}
		// Contexts are told apart by their Done channel: a context of a
		// struct type may not compare.
		if done := key.Done(); done != last {
			last, lastErr = done, key.Err()
		}
		if lastErr != nil && fb.state == parked {
			woke = fb.wake(fb.seq, lastErr) || woke
		}
	}
	return woke
}

// stuck is the loop's stuck hook: nothing can wake the loop. If fibers are
// parked, that is a deadlock: collect where each waits and stop the loop.
func (s *sched) stuck(report func(error)) bool {
	if s.wakeCancelled() {
		return true
	}
	for _, fb := range s.watched {
		if _, ok := fb.waitCtx.Deadline(); ok {
			return false // a Go timer will cancel it: not stuck
		}
	}
	var parkedFibers []*fiber
	for _, fb := range s.live {
		if fb.state == parked {
			parkedFibers = append(parkedFibers, fb)
		}
	}
	if len(parkedFibers) == 0 || len(parkedFibers) != len(s.live) {
		return false
	}
	slices.SortFunc(parkedFibers, func(a, b *fiber) int { return cmp.Compare(a.id, b.id) })
	// Resume each parked fiber once so that it records its own stack
	// (park does it and parks again); a fiber's stack can only be read
	// from its own goroutine.
	if s.stacks == nil {
		s.stacks = make(map[*fiber]string, len(parkedFibers))
	}
	for _, fb := range parkedFibers {
		if _, ok := s.stacks[fb]; !ok {
			s.recording = fb
			fb.state = ready
			s.resume(fb)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fiber: deadlock: all %d fibers are parked and nothing can wake them", len(parkedFibers))
	for _, fb := range parkedFibers {
		fmt.Fprintf(&b, "\n\nfiber %d (%s), parked in %s:\n%s", fb.id, fb.name(), fb.what, s.stacks[fb])
	}
	report(&DeadlockError{msg: b.String(), Fibers: len(parkedFibers)})
	return true
}

// kill unwinds every fiber still alive; the loop has stopped. It reports
// how many there were.
func (s *sched) kill() int {
	s.closing = true
	n := 0
	for len(s.live) > 0 {
		fb := s.live[len(s.live)-1]
		n++
		if fb.c != nil {
			fb.c.stop() // park panics errKilled; the body unwinds
		}
		if fb.at[inLive] >= 0 {
			s.unlive(fb) // never started: nothing to unwind
			s.unwatchParent(fb)
		}
	}
	for _, c := range s.idle {
		c.stop()
	}
	s.idle = nil
	return n
}

// stackOf returns the calling fiber's stack without the frames of this
// package's switching machinery, above and below the fiber's own code.
func stackOf() string {
	buf := make([]byte, 16<<10)
	buf = buf[:runtime.Stack(buf, false)]
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	var out []string
	// A trace is a header line, then two lines per frame: the function,
	// then its file and line.
	for i := 1; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if machinery(fn) {
			continue
		}
		out = append(out, fn, lines[i+1])
	}
	return strings.Join(out, "\n")
}

// machinery reports whether a trace line is a frame of the code that
// switches fibers rather than of the fiber.
func machinery(fn string) bool {
	for _, p := range []string{
		"github.com/weftio/weft/fiber.stackOf",
		"github.com/weftio/weft/fiber.(*fiber).suspend",
		"github.com/weftio/weft/fiber.(*fiber).park",
		"github.com/weftio/weft/fiber.(*fiber).parkCtx",
		"github.com/weftio/weft/fiber.(*coro).loop",
		"github.com/weftio/weft/fiber.Run.func",
		"github.com/weftio/weft/fiber.(*goFiber[",
		"github.com/weftio/weft/fiber.(*groupFiber).run",
		"github.com/weftio/weft/fiber.(*mainFiber).run",
		"iter.Pull",
		"created by iter.Pull",
	} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// DeadlockError is what Run returns when every fiber is parked and
// nothing (a timer, I/O, a Post, a pending promise) can wake them. Its
// message names each parked fiber, what it waits for and its stack.
type DeadlockError struct {
	msg string
	// Fibers is how many fibers were parked.
	Fibers int
}

func (e *DeadlockError) Error() string { return e.msg }

// recovered turns a recovered panic value into an error with the stack of
// the panic; it must be called from the deferred function that recovered.
func recovered(v any) error {
	r := panics.NewRecovered(2, v)
	return r.AsError()
}
