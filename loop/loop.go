package loop

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/timer"
)

// ErrClosed is returned by Post and Run once the loop is closed. It is
// net.ErrClosed, so errors.Is(err, net.ErrClosed) holds.
var ErrClosed = net.ErrClosed

// Fairness budgets. They bound how long the loop can go without looking at
// timers and I/O; docs/loop.md explains the choice.
const (
	// defaultTaskBudget is the most ready tasks one turn runs before it polls.
	defaultTaskBudget = 256
	// defaultMicrotaskBudget is the most microtasks one drain runs before the
	// rest is left for the next turn.
	defaultMicrotaskBudget = 4096
	// spinRounds is how many times an idle loop yields the processor,
	// looking for posted work, before it sleeps in the poller.
	spinRounds = 4
)

// Loop states.
const (
	stateNew int32 = iota
	stateRunning
	stateDone // Run has returned (or never will) and resources are released
)

// A Loop runs tasks, microtasks, timers and I/O readiness on one goroutine.
// See the package documentation for the threading model.
type Loop struct {
	// Shared with other goroutines.
	inboxMu    sync.Mutex
	inbox      []func()
	inboxN     atomic.Int64 // len(inbox), readable without the lock
	refusing   bool         // guarded by inboxMu: Post returns ErrClosed
	sleeping   atomic.Bool  // the loop is (about to be) blocked in a poll
	stopping   atomic.Bool
	state      atomic.Int32
	done       chan struct{} // closed when the loop has released its resources
	closeOnce  sync.Once
	releaseErr error
	stats      sharedStats
	owner      atomic.Uintptr // gid.Current() of the goroutine running the loop's code, 0 when none
	closeMu    sync.Mutex
	onClose    []func() // guarded by closeMu; nil once they have run
	closed     bool     // guarded by closeMu

	// Owned by the loop goroutine.
	poller     poller.Poller
	timers     timer.Queue
	ready      jobQueue
	micro      jobQueue
	posted     []func() // the batch of posted tasks taken from the inbox
	postedI    int      // next task of posted to run
	fds        int      // registered fds, besides the poller's own
	quietFds   int      // of fds, those that cannot wake the loop alone (loopctl.Quiet)
	clock      clock
	onPanic    func(error)
	taskBudget int
	microLimit int
	runErr     error

	// Method values made once, so a turn does not allocate them.
	runTimerFn func(func())
	dispatchFn func(poller.Handler, poller.Events)

	runningJob Job // the microtask job being run, for recoverMicrotask
	takeLeft   int // room left in the ready phase's share for takeReady

	holds       int                // loopctl.Hold, on the loop
	remoteHolds atomic.Int64       // loopctl.HoldRemote, from anywhere
	stuckHook   func() (goOn bool) // loopctl.SetStuckHook
	advanceHook func() (goOn bool) // loopctl.SetAdvanceHook
	prePoll     []func()           // loopctl.AddPrePoll
	blockHints  int                // loopctl.BlockHint

	local localStats

	sim *sim // WithSimulation (sim.go); nil otherwise

	debug debugFields // ID, debug mode, stall detector, lag histogram (debug.go)
}

// New makes a loop. It opens the poller (an epoll or kqueue fd and a wake-up
// fd) but starts no goroutine: call Run, or use a Group. Close releases what
// New opened even if Run is never called.
func New(opts ...Option) (*Loop, error) {
	c := config{taskBudget: defaultTaskBudget, microLimit: defaultMicrotaskBudget}
	for _, o := range opts {
		o(&c)
	}
	l := &Loop{
		done:       make(chan struct{}),
		onPanic:    c.onPanic,
		taskBudget: c.taskBudget,
		microLimit: c.microLimit,
	}
	l.clock.init(c.virtual, c.start)
	if err := l.startSim(c.sim); err != nil {
		return nil, err
	}
	if c.poller != nil {
		l.poller = c.poller
	} else {
		newPoller := poller.New
		if c.blocking {
			newPoller = poller.NewBlocking
		}
		p, err := newPoller()
		if err != nil {
			return nil, fmt.Errorf("loop: %w", err)
		}
		l.poller = p
	}
	l.runTimerFn = l.runTimer
	l.dispatchFn = l.dispatch
	l.initDebug(&c)
	return l, nil
}

// Run runs the loop on the calling goroutine until Stop or Close is called,
// or until a task panics while no panic handler is set. It returns nil after
// a Stop or Close, the panic as an error (a *panics.ErrRecovered from
// github.com/sourcegraph/conc/panics, with the stack of the panic) otherwise,
// and ErrClosed if the loop was already closed or running. Before it returns,
// Run releases the loop's poller; pending timers are dropped.
//
// If a task calls runtime.Goexit (as testing.T.FailNow does), the loop's
// resources are released and the goroutine exits as Goexit demands; Run does
// not return.
func (l *Loop) Run() error {
	if !l.state.CompareAndSwap(stateNew, stateRunning) {
		return ErrClosed
	}
	defer l.release()
	l.owner.Store(gid.Current())
	defer l.startDebug()()
	for !l.finished() {
		l.turn()
	}
	return l.runErr
}

// finished reports whether the loop may leave Run: it was asked to stop, and
// everything that was accepted before that has run. Timers are not waited for.
func (l *Loop) finished() bool {
	if l.runErr != nil {
		return true
	}
	if !l.stopping.Load() {
		return false
	}
	return !l.pendingTasks()
}

// release closes the door, drops what can no longer run, closes the poller
// and wakes Close. It runs exactly once, from Run's exit or from Close when
// Run never started.
func (l *Loop) release() {
	l.inboxMu.Lock()
	l.refusing = true
	l.inboxMu.Unlock()
	l.stopping.Store(true)
	l.state.Store(stateDone)
	l.ready.Clear()
	l.micro.Clear()
	clear(l.posted)
	l.posted, l.postedI = nil, 0
	l.timers = timer.Queue{}
	l.releaseErr = l.poller.Close()
	l.publishStats()
	l.owner.Store(0)
	l.runCloseHooks()
	close(l.done)
}

// OnClose arranges for f to run once the loop has stopped and released its
// poller, before Done is closed and Close returns: the layers above use it
// to release what they keep per loop (futures report their unhandled
// rejections there). Hooks run in the order they were added, on the
// goroutine that released the loop (Run's, or Close's if Run never ran),
// with Post already refused. If the loop is already closed, f runs now.
// Safe from any goroutine.
func (l *Loop) OnClose(f func()) {
	l.closeMu.Lock()
	if !l.closed {
		l.onClose = append(l.onClose, f)
		l.closeMu.Unlock()
		return
	}
	l.closeMu.Unlock()
	f()
}

func (l *Loop) runCloseHooks() {
	for {
		l.closeMu.Lock()
		hooks := l.onClose
		l.onClose = nil
		if len(hooks) == 0 {
			l.closed = true
			l.closeMu.Unlock()
			return
		}
		l.closeMu.Unlock()
		for _, f := range hooks {
			f() // a hook may add another; the loop above runs it too
		}
	}
}

func init() {
	loopctl.HandOff = func(l any, id uintptr) {
		ll := l.(*Loop)
		if !ll.OnLoop() {
			panic("loop: hand-off by a goroutine that does not own the loop")
		}
		ll.owner.Store(id)
	}
	loopctl.SetStuckHook = func(l any, f func() bool) { l.(*Loop).stuckHook = f }
	loopctl.TakeReady = func(l any, want func(any) bool) any {
		ll := l.(*Loop)
		if !ll.OnLoop() {
			panic("loop: TakeReady by a goroutine that does not own the loop")
		}
		if j := ll.takeReady(func(j Job) bool { return want(j) }); j != nil {
			return j
		}
		return nil
	}
	loopctl.SetAdvanceHook = func(l any, f func() bool) { l.(*Loop).advanceHook = f }
	loopctl.Hold = func(l any, n int) { l.(*Loop).holds += n }
	loopctl.HoldRemote = func(l any, n int) { l.(*Loop).remoteHolds.Add(int64(n)) }
	loopctl.Quiet = func(l any, n int) { l.(*Loop).quietFds += n }
	loopctl.BlockHint = func(l any, n int) {
		ll := l.(*Loop)
		before := ll.blockHints > 0
		ll.blockHints += n
		if after := ll.blockHints > 0; after != before {
			if b, ok := ll.poller.(poller.Blocker); ok {
				b.BlockHint(after)
			}
		}
	}
	loopctl.AddPrePoll = func(l any, f func()) {
		ll := l.(*Loop)
		ll.prePoll = append(ll.prePoll, f)
	}
}

// stuck reports whether nothing could ever wake the loop from a blocking
// poll: no timer (checked by the caller), no fd, no hold, no posted task.
func (l *Loop) stuck() bool {
	return l.fds == l.quietFds && l.holds+int(l.remoteHolds.Load()) == 0 && l.inboxN.Load() == 0
}

// OnLoop reports whether the caller is the goroutine running the loop's code
// right now: a task, timer callback, microtask or readiness handler of l.
// It is how a layer above tells a call it may serve directly from one it
// must Post, and how a fiber-facing call catches a foreign goroutine. It is
// false before Run and after Run returns. A few nanoseconds on amd64 and
// arm64 (package internal/gid, BenchmarkCurrent). Safe from any goroutine.
func (l *Loop) OnLoop() bool { return l.owner.Load() == gid.Current() }

// Stop asks the loop to finish: Post is refused from now on, and Run returns
// once the tasks and microtasks accepted before the call have run. Stop does
// not wait; it is safe from any goroutine, the loop's own included.
func (l *Loop) Stop() {
	l.inboxMu.Lock()
	l.refusing = true
	l.inboxMu.Unlock()
	if !l.stopping.Swap(true) {
		l.wake()
	}
}

// Close stops the loop, waits for Run to return and releases the poller. If
// Run was never called, Close releases what New opened. Close must not be
// called from the loop's own goroutine (it would wait for itself); use Stop
// there. It returns the error, if any, of closing the poller; later calls
// return nil.
func (l *Loop) Close() error {
	l.Stop()
	if l.state.CompareAndSwap(stateNew, stateDone) {
		l.release()
	}
	<-l.done
	var err error
	l.closeOnce.Do(func() { err = l.releaseErr })
	return err
}

// Done returns a channel that is closed once the loop has stopped and
// released its resources.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Post queues f to run on the loop as a task. It is the only door into the
// loop for other goroutines and is safe from any goroutine. Tasks from one
// goroutine run in the order they were posted. Post does not wait for f to
// run. It returns ErrClosed, and f never runs, once Stop or Close was called.
// A Post costs about 40 ns and no allocation once the inbox has grown (a
// channel send to a worker goroutine: about 60 ns), plus one wake-up when
// the loop is idle (docs/benchmarks.md).
func (l *Loop) Post(f func()) error {
	if f == nil {
		panic("loop: Post of nil func")
	}
	l.inboxMu.Lock()
	if l.refusing {
		l.inboxMu.Unlock()
		return ErrClosed
	}
	l.inbox = append(l.inbox, f)
	l.inboxN.Add(1)
	l.inboxMu.Unlock()
	// The loop stores sleeping=true before it checks inboxN, and we added to
	// inboxN before loading sleeping: at least one side sees the other.
	if l.sleeping.Load() && l.sleeping.Swap(false) {
		l.wake()
	}
	return nil
}

func (l *Loop) wake() {
	// The error can only be that the poller is closed, which means the loop
	// has already gone and has nothing left to wake for.
	_ = l.poller.Wake()
}

// Schedule queues f as a task on the loop's ready queue, after the tasks
// already there. Loop goroutine only; it takes no lock.
func (l *Loop) Schedule(f func()) {
	if f == nil {
		panic("loop: Schedule of nil func")
	}
	l.ready.Push(funcJob(f))
}

// ScheduleJob is Schedule for a Job: queuing a value that is already
// allocated costs no closure. Loop goroutine only.
func (l *Loop) ScheduleJob(j Job) {
	if j == nil {
		panic("loop: ScheduleJob of nil Job")
	}
	l.ready.Push(j)
}

// Microtask queues f on the microtask queue, which is drained after every
// task, timer callback and I/O dispatch, before the next of them runs. It is
// where future reactions go: f never runs inside the call that queued it, so
// chains of any length use constant stack. Loop goroutine only. Queuing and
// running one costs about 7 ns and no allocation.
func (l *Loop) Microtask(f func()) {
	if f == nil {
		panic("loop: Microtask of nil func")
	}
	l.micro.Push(funcJob(f))
}

// MicrotaskJob is Microtask for a Job: futures queue their reactions this
// way, each reaction being a value that is already allocated, so settling a
// future allocates no closure. Loop goroutine only.
func (l *Loop) MicrotaskJob(j Job) {
	if j == nil {
		panic("loop: MicrotaskJob of nil Job")
	}
	l.micro.Push(j)
}

// Now returns the loop's clock in nanoseconds since the loop was made: real
// monotonic time, or virtual time with WithVirtualTime. Safe from any
// goroutine.
func (l *Loop) Now() int64 { return l.clock.now() }

// Time returns the loop's clock as a time.Time.
func (l *Loop) Time() time.Time { return l.clock.start.Add(time.Duration(l.clock.now())) }

// Instant returns t on the loop's clock, in the nanoseconds since the loop
// was made that Now counts (clamped, not overflowing), without reading the
// clock: for turning a deadline given as a time.Time into one for At.
func (l *Loop) Instant(t time.Time) int64 { return int64(t.Sub(l.clock.start)) }

// Deadline returns the loop time d from now, clamped instead of overflowing.
func (l *Loop) Deadline(d time.Duration) int64 { return timer.Deadline(l.Now(), d) }

// AfterFunc arranges for f to run on the loop as a task once d has elapsed on
// the loop's clock. A d <= 0 runs f on the next turn, never inside this call.
// Loop goroutine only, as are the returned timer's Stop and Reset. Reset
// takes a loop time (see Deadline) and re-arms only a timer that has not run
// yet; once it ran or was stopped, arm a new one. Arming and stopping cost
// about 60 ns together, clock read included, and allocate nothing.
func (l *Loop) AfterFunc(d time.Duration, f func()) timer.Timer {
	return l.At(l.Deadline(d), f)
}

// At arranges for f to run on the loop once its clock reaches when (see Now).
// Loop goroutine only.
func (l *Loop) At(when int64, f func()) timer.Timer {
	t := l.timers.Add(when, f)
	if debugbuild.Enabled && l.sim != nil {
		l.sim.track(&l.timers, t)
	}
	return t
}

// Register adds fd to the loop's poller, edge-triggered, for the events in
// ev; h.Ready runs on the loop as a task for each readiness event, followed
// by a microtask drain. Loop goroutine only. The caller keeps ownership of
// fd and must Unregister it before closing it.
func (l *Loop) Register(fd int, ev poller.Events, h poller.Handler) error {
	if err := l.poller.Add(fd, ev, h); err != nil {
		return err
	}
	l.fds++
	return nil
}

// Unregister removes fd from the loop's poller. Readiness already fetched for
// fd and not yet dispatched is dropped. Loop goroutine only.
func (l *Loop) Unregister(fd int) error {
	if err := l.poller.Remove(fd); err != nil {
		return err
	}
	l.fds--
	return nil
}

// turn is one pass of the loop. The phases, in order:
//
//  1. timers: every timer due at the start of the turn fires;
//  2. microtasks left over from a drain that hit its budget run;
//  3. ready: at most taskBudget tasks run, from those scheduled on the loop
//     before this phase began and from the batch of posted tasks, which is
//     taken from the inbox once the previous batch has run (runReady);
//  4. poll: wait for I/O, a Post or the next timer, then dispatch readiness.
//
// Every task, timer callback and I/O dispatch is followed by a microtask
// drain. Phase 4 does not block when there is work left, so neither a task
// that reschedules itself nor an endless chain of microtasks keeps the loop
// from timers and I/O.
func (l *Loop) turn() {
	l.local.turns++
	l.fireTimers()
	if l.runErr == nil && l.drainMicrotasks() {
		l.runReady()
	}
	for _, f := range l.prePoll {
		if l.runErr != nil {
			break
		}
		l.runPrePoll(f)
	}
	if l.runErr == nil {
		l.poll()
	}
	l.publishStats()
}

// runReady runs at most taskBudget tasks from the two ready sources: tasks
// scheduled on the loop (those queued during the phase included) and the
// current batch of posted tasks. When both have work, each is guaranteed
// half of the budget, so a flood of Posts cannot hold back the loop's own
// tasks (fiber resumptions, say) or the other way round.
func (l *Loop) runReady() {
	if debugbuild.Enabled && l.sim != nil {
		l.simRunReady()
		return
	}
	l.takeInbox()
	budget := l.taskBudget
	posted := len(l.posted) - l.postedI
	// Scheduled jobs may take their share even if they were queued during
	// the phase: a fiber that yields to another is a job that schedules
	// the next, and running it in the same turn saves a whole turn per
	// switch. The share still bounds the phase, so timers and I/O wait
	// for at most one budget of work, as before.
	share := max(budget-posted, budget/2)
	nSched := 0
	for nSched < share && l.ready.Len() > 0 {
		n, ok := l.runJobs(share - nSched)
		nSched += n
		// After a panic runJobs returns before its drain: the panicking
		// job's microtasks run now, before the next job, as always.
		if !ok || !l.drainMicrotasks() || l.runErr != nil {
			return
		}
	}
	l.runPosted(min(posted, budget-nSched))
}

// runPosted runs the next n tasks of the posted batch, each followed by a
// microtask drain. It reports false if the phase must end (a drain hit
// its budget, or the loop is stopping on a panic).
func (l *Loop) runPosted(n int) bool {
	for ; n > 0; n-- {
		f := l.posted[l.postedI]
		l.posted[l.postedI] = nil // do not keep the closure alive
		l.postedI++
		l.local.tasks++
		if debugbuild.Enabled && l.debug.watch != nil {
			l.beat(loopdebug.Task)
		}
		l.runTask(f)
		if !l.drainMicrotasks() || l.runErr != nil {
			return false
		}
	}
	return true
}

// takeInbox takes the posted tasks as the next batch, once the current one
// has run. The inbox is double-buffered (the consumed batch becomes the new
// inbox), so in a steady state this allocates nothing, and posted tasks are
// run straight from the slice they were appended to.
func (l *Loop) takeInbox() {
	if l.postedI < len(l.posted) || l.inboxN.Load() == 0 {
		return
	}
	l.inboxMu.Lock()
	batch := l.inbox
	l.inbox = l.posted[:0]
	l.inboxN.Store(0)
	l.inboxMu.Unlock()
	l.posted, l.postedI = batch, 0
	l.local.posted += uint64(len(batch))
}

// pendingTasks reports whether tasks are waiting to run.
func (l *Loop) pendingTasks() bool {
	return l.ready.Len() > 0 || l.postedI < len(l.posted) || l.micro.Len() > 0 || l.inboxN.Load() > 0
}

func (l *Loop) fireTimers() {
	when, ok := l.timers.Next()
	if !ok {
		return // no clock read for a loop without timers
	}
	now := l.Now()
	if when > now {
		return
	}
	if debugbuild.Enabled && l.sim != nil {
		l.sim.permuteTimers(now)
	}
	l.local.lag = now - when
	l.local.maxLag = max(l.local.maxLag, l.local.lag)
	if debugbuild.Enabled {
		l.debug.lag.record(l.local.lag)
	}
	l.local.timers += uint64(l.timers.Expire(now, l.runTimerFn))
}

// runTimer runs one timer callback, then the microtasks it queued.
func (l *Loop) runTimer(f func()) {
	if l.runErr != nil {
		// An earlier callback of this batch panicked and the loop is
		// stopping; the rest of the batch is dropped with the loop.
		return
	}
	if debugbuild.Enabled && l.debug.watch != nil {
		l.beat(loopdebug.Timer)
	}
	l.runTask(f)
	l.drainMicrotasks()
}

// dispatch runs one readiness event, then the microtasks it queued.
func (l *Loop) dispatch(h poller.Handler, ev poller.Events) {
	if l.runErr != nil {
		return
	}
	l.local.events++
	if debugbuild.Enabled && l.debug.watch != nil {
		l.beat(loopdebug.IO)
	}
	l.ready1(h, ev)
	l.drainMicrotasks()
}

// ready1 delivers one readiness event under the same panic policy as runTask.
func (l *Loop) ready1(h poller.Handler, ev poller.Events) {
	defer l.recoverTask()
	h.Ready(ev)
}

// runTask runs f as a task. A panic in f is caught with its stack (which is
// why the recover sits here, in a frame below f, and not further out where
// the stack has already unwound) and handed to the panic handler; without a
// handler the loop stops and Run returns the panic as its error. Either way
// the loop's own state is untouched: f was removed from its queue before it
// ran.
func (l *Loop) runTask(f func()) {
	defer l.recoverTask()
	f()
}

// runPrePoll runs a pre-poll hook (loopctl.AddPrePoll) as a task: a
// panic is recovered as a task's is, and the microtasks it queued run
// before the poll.
func (l *Loop) runPrePoll(f func()) {
	if debugbuild.Enabled && l.debug.watch != nil {
		l.beat(loopdebug.PrePoll)
	}
	l.runTask(f)
	if l.runErr == nil {
		l.drainMicrotasks()
	}
}

// runJobs runs up to max jobs of the ready queue, each followed by a
// microtask drain, under one deferred recover: a fiber switch is a job,
// and a defer per job was a tenth of a switch. It returns how many it
// started, and false if the phase must end (a drain hit its budget, or
// the loop is stopping on a panic). After a panic it returns early; the
// caller goes on with the next job. With the stall detector on, its copy
// runJobsWatched (stall.go) runs instead: keep the two in step.
func (l *Loop) runJobs(max int) (n int, ok bool) {
	if debugbuild.Enabled && l.debug.watch != nil {
		return l.runJobsWatched(max)
	}
	ok = true
	defer l.recoverTask()
	for n < max && l.ready.Len() > 0 {
		j := l.ready.Pop()
		n++
		l.local.tasks++
		l.takeLeft = max - n
		j.Run()
		// Jobs the running one took over (takeReady) count in the share.
		n = max - l.takeLeft
		l.takeLeft = 0
		if !l.drainMicrotasks() || l.runErr != nil {
			return n, false
		}
	}
	return n, true
}

// takeReady is for a job that wants to run the next ready job itself
// (loopctl.TakeReady): a fiber's coroutine whose fiber finished starts the
// next fresh fiber without switching back to the loop and out again. It
// first drains the microtasks, as runJobs would after the job; then, if
// the ready phase's share has room and the next job passes want, it takes
// that job off the queue, counted in the share, and returns it.
func (l *Loop) takeReady(want func(Job) bool) Job {
	if l.takeLeft <= 0 || !l.drainMicrotasks() || l.runErr != nil ||
		l.ready.Len() == 0 || !want(l.ready.Peek()) {
		return nil
	}
	l.takeLeft--
	l.local.tasks++
	return l.ready.Pop()
}

// recoverTask is deferred directly, so its recover sees the panic.
func (l *Loop) recoverTask() {
	v := recover()
	if v == nil {
		return
	}
	l.handlePanic(v)
}

// handlePanic applies the panic policy to v, recovered by a deferred
// function that called it directly (the stack of the panic is still there).
func (l *Loop) handlePanic(v any) {
	r := panics.NewRecovered(2, v)
	err := r.AsError()
	if l.onPanic != nil {
		l.onPanic(err)
		return
	}
	if l.runErr == nil {
		l.runErr = err
	}
}

// drainMicrotasks runs queued microtasks, including those they queue, until
// the queue is empty or the budget is spent. It reports whether the queue is
// empty. A microtask that panics is treated like a panicking task; the
// microtasks after it still run.
//
// The common case, nothing queued, is decided here where it inlines into
// the caller: a job or an I/O dispatch that queued no reaction pays a
// length check, not a call (drainQueued is the rest).
func (l *Loop) drainMicrotasks() bool {
	if l.micro.Len() == 0 {
		return true
	}
	return l.drainQueued()
}

// drainQueued is drainMicrotasks once something is queued.
func (l *Loop) drainQueued() bool {
	budget := l.microLimit
	for l.micro.Len() > 0 && budget > 0 && l.runErr == nil {
		if debugbuild.Enabled && l.debug.watch != nil {
			l.beat(loopdebug.Microtasks)
		}
		n := l.runMicrotasks(budget)
		l.local.micro += uint64(n)
		budget -= n
	}
	return l.micro.Len() == 0
}

// runMicrotasks runs up to budget microtasks under one deferred recover, so
// the common case pays for one defer per drain rather than one per
// microtask. It returns how many it started, the one that panicked included.
func (l *Loop) runMicrotasks(budget int) (n int) {
	defer l.recoverMicrotask()
	for n < budget && l.micro.Len() > 0 {
		j := l.micro.Pop()
		n++
		// A func is called directly: one indirect call instead of two.
		if f, ok := j.(funcJob); ok {
			f()
		} else {
			l.runningJob = j
			j.Run()
			l.runningJob = nil
		}
	}
	return n
}

// recoverMicrotask is recoverTask for runMicrotasks: a panicking job that
// is a Recoverer gets its own panic, anything else gets the loop's policy.
func (l *Loop) recoverMicrotask() {
	j := l.runningJob
	l.runningJob = nil
	v := recover()
	if v == nil {
		return
	}
	if r, ok := j.(Recoverer); ok {
		rec := panics.NewRecovered(1, v)
		r.Recover(rec.AsError())
		return
	}
	l.handlePanic(v)
}

// poll waits for I/O. It does not block when there is work left or the loop
// is stopping; otherwise it sleeps until the next timer, a Post or I/O.
func (l *Loop) poll() {
	if debugbuild.Enabled && l.debug.watch != nil {
		l.beat(loopdebug.Poll)
	}
	timeout := time.Duration(-1)
	busy := l.pendingTasks() || l.stopping.Load()
	if busy {
		if l.fds == l.quietFds {
			// Nothing but the wake-up fd (and quiet fds) is registered:
			// a non-blocking poll could only consume a wake-up we do not
			// need.
			return
		}
		timeout = 0
	} else if when, ok := l.timers.Next(); ok {
		timeout = time.Duration(max(when-l.Now(), 0))
		if l.clock.virtual {
			// Virtual time never sleeps: look for I/O that is ready now,
			// and if there is none, jump to the next deadline.
			if (l.fds == l.quietFds || l.pollOnce(0) == 0) && l.inboxN.Load() == 0 &&
				(l.advanceHook == nil || !l.advanceHook()) {
				l.clock.advanceTo(when)
			}
			return
		}
	} else if l.stuckHook != nil && l.stuck() && l.stuckHook() {
		return
	}
	if timeout != 0 {
		// Before parking in the poller (and making the next Post pay for
		// a wake-up), yield a few times: goroutines this turn made runnable
		// get a processor first (with the blocking poller they could
		// otherwise wait for the scheduler's next tick, tens of
		// microseconds), and a producer in the middle of a burst of Posts
		// usually adds the next task within these rounds. Measured with
		// BenchmarkLoop_Wake/mode=pingpong, by hand with spinRounds = 0: a
		// back-to-back round trip takes 0.6-0.9 µs with these rounds,
		// 3.5 µs without.
		for i := 0; i < spinRounds && l.inboxN.Load() == 0; i++ {
			runtime.Gosched()
		}
		l.sleeping.Store(true)
		if l.inboxN.Load() > 0 || l.stopping.Load() {
			l.sleeping.Store(false)
			if l.fds == l.quietFds {
				return
			}
			timeout = 0
		}
	}
	l.pollOnce(timeout)
	l.sleeping.Store(false)
}

func (l *Loop) pollOnce(timeout time.Duration) int {
	l.local.polls++
	n, err := l.poller.Wait(timeout, l.dispatchFn)
	if err != nil && l.runErr == nil {
		l.runErr = fmt.Errorf("loop: poll: %w", err)
	}
	return n
}
