package loopdebug

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// A Kind says what a loop is running, for the stall detector.
type Kind uint8

// The kinds of work a loop runs. Poll is never a stall: the loop is
// waiting, not held.
const (
	Idle       Kind = iota // the loop's own code, between the others
	Poll                   // waiting in the poller (and dispatching its events)
	Task                   // a posted task, or a func queued with Schedule
	Job                    // a Job of the ready queue (a fiber's resumption is one)
	Timer                  // a timer callback
	IO                     // a readiness handler
	Microtasks             // a drain of the microtask queue (future reactions)
	PrePoll                // a pre-poll hook (package fs submits its batch there)
	Fiber                  // a fiber, named by the Watch's Runner
)

var kindNames = [...]string{
	Idle:       "the loop's own code",
	Poll:       "poll",
	Task:       "task",
	Job:        "job",
	Timer:      "timer callback",
	IO:         "I/O readiness handler",
	Microtasks: "microtask drain",
	PrePoll:    "pre-poll hook",
	Fiber:      "fiber",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// The pprof labels weft puts on the goroutines that run a loop's code:
// the loop's ID and, in debug mode, a fiber's function, so that profiles
// split by loop and fiber; and with the stall detector, the goroutine's
// number, by which the watchdog finds the offender in a goroutine profile.
const (
	LoopLabel      = "weft.loop"
	FiberLabel     = "weft.fiber"
	GoroutineLabel = "weft.goroutine"
)

// A Runner names the fiber that runs on a loop, for a stall report. It is
// immutable once published with SetRunner: the watchdog reads it from
// another goroutine.
type Runner struct {
	Fiber uint64  // the fiber's number on its loop
	Entry uintptr // its function's entry PC
	Spawn *Site   // where it was spawned; nil outside debug mode
}

// Name returns the runner's function name.
func (r *Runner) Name() string { return FuncName(r.Entry) }

func (r *Runner) String() string {
	s := fmt.Sprintf("fiber %d (%s)", r.Fiber, r.Name())
	if r.Spawn != nil {
		if at := r.Spawn.String(); at != "" {
			s += ", spawned at " + at
		}
	}
	return s
}

// FuncName returns the name of the function whose entry is pc, "?" if
// unknown.
func FuncName(pc uintptr) string {
	if f := runtime.FuncForPC(pc); f != nil {
		return f.Name()
	}
	return "?"
}

// A Watch is what a loop's stall watchdog reads: a heartbeat that the
// loop bumps each time it starts a unit of work (a task, a timer callback,
// a fiber's run...), with the kind of that unit, and the fiber that runs,
// if one does. The loop's side costs a plain increment and an atomic store
// per unit; the watchdog only reads.
type Watch struct {
	seq    uint64        // written only by the code running the loop
	beat   atomic.Uint64 // seq<<8 | kind
	runner atomic.Pointer[Runner]

	// Stalls counts the stalls reported.
	Stalls atomic.Uint64
	// Stalled is the report of the stall going on, nil when none is: the
	// watchdog sets it when it reports and clears it when the loop moves
	// on. A dump shows it for a loop that cannot answer.
	Stalled atomic.Pointer[string]

	mu    sync.Mutex
	goids map[uintptr]int64 // gid.Current() -> goroutine number
}

// Beat records that the loop starts a unit of kind k. Only the code
// running the loop may call it.
func (w *Watch) Beat(k Kind) {
	w.seq++
	w.beat.Store(w.seq<<8 | uint64(k))
}

// Read returns the last beat: its number and kind. Safe from any
// goroutine.
func (w *Watch) Read() (seq uint64, k Kind) {
	b := w.beat.Load()
	return b >> 8, Kind(b)
}

// SetRunner records that fiber r runs now (nil: no fiber does) and beats:
// Fiber for a fiber, Idle otherwise. Only the code running the loop may
// call it.
func (w *Watch) SetRunner(r *Runner) {
	w.runner.Store(r)
	if r != nil {
		w.Beat(Fiber)
	} else {
		w.Beat(Idle)
	}
}

// Runner returns the fiber running now, nil if none. Safe from any
// goroutine.
func (w *Watch) Runner() *Runner { return w.runner.Load() }

// AddGoroutine records that the goroutine identified by g
// (internal/gid.Current) has number n (as runtime.Stack prints it): the
// loop's goroutine and each fiber coroutine register once, so that the
// watchdog can find the stack of whichever owns the loop.
func (w *Watch) AddGoroutine(g uintptr, n int64) {
	w.mu.Lock()
	if w.goids == nil {
		w.goids = make(map[uintptr]int64)
	}
	w.goids[g] = n
	w.mu.Unlock()
}

// Goroutine returns the number of the goroutine identified by g, if it
// was registered.
func (w *Watch) Goroutine(g uintptr) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, ok := w.goids[g]
	return n, ok
}
