package loop

import (
	"cmp"
	"errors"
	"math/bits"
	"slices"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/timer"
)

// The simulation (WithSimulation) in one place: the seeded choice of the
// next ready job (simRunReady, pick), the seeded order of timers due at
// the same instant (track, permuteTimers), and the seeded sequence itself.
// What may be reordered, what may not and why is written on
// WithSimulation and in docs/simulation.md. The hooks that call in here
// from loop.go sit behind debugbuild.Enabled && l.sim != nil: a nil check
// when the loop is not simulated, nothing at all with weft_nodebug.

// ErrNoSimulation is returned by New for WithSimulation in a build with the
// weft_nodebug tag, which compiles the simulation away.
var ErrNoSimulation = errors.New("loop: WithSimulation: the simulation is compiled out of this build (built with -tags weft_nodebug)")

// WithSimulation runs the loop as a deterministic simulation, for tests:
// on virtual time, as with WithVirtualTime (give that too to fix where the
// clock starts), with a scheduler seeded with seed that chooses the order
// of the work ready at the same moment, within the orders that the layers
// above promise:
//
//   - a Reorderable job (a fiber woken from a wait, or just started) may
//     run before the jobs queued ahead of it; any other job (a task from
//     Schedule or ScheduleJob, a fiber that called fiber.Yield) runs after
//     every job queued before it, as Schedule promises;
//   - timers due at the same virtual instant fire in a seeded order
//     (AfterFunc and At promise none); earlier deadlines still fire first;
//   - microtasks (future reactions) keep their order and drain after every
//     job: futures promise behaviour in the order their reactions became
//     due (Race settles like the first input to settle), so the seed
//     reorders reactions only through their causes, the jobs and timers
//     that settle futures.
//
// The same seed makes the same choices, so a run replays exactly as long
// as nothing outside the loop steers it: real I/O, a Post with an effect
// from another goroutine (an Offload, a future settled elsewhere) and a
// context with a real-time deadline are outside the simulation. Posted
// tasks run first in each turn, in arrival order, and take nothing from
// the seed, so a stale Post that does nothing (a late cancellation
// wake-up) changes nothing. The loop's advance hook (the fiber runtime's:
// wake the fibers whose context is done) runs before every choice, so a
// fiber whose context a job cancelled is woken right after that job.
//
// Each choice scans the ready queue: the mode is for tests, and package
// github.com/weftio/weft/simtest drives it. A build with the weft_nodebug
// tag compiles the simulation away; New then returns ErrNoSimulation.
func WithSimulation(seed uint64) Option {
	return func(c *config) {
		c.virtual = true
		c.sim = &simConfig{seed: seed}
	}
}

// A Reorderable job tells a simulated loop (WithSimulation) whether it may
// run before the jobs that were queued ahead of it: when Reorderable
// reports true, its place in the ready queue promises nothing. A job that
// is not a Reorderable, or reports false, runs after every job queued
// before it. A fiber is one: a fiber woken from a wait or just started
// may overtake, one that called fiber.Yield may not (Yield lets the fibers
// ready before it run first). Reorderable is called on the loop, while the
// job is queued; a loop that is not simulated never calls it.
type Reorderable interface {
	Job
	Reorderable() bool
}

// Simulated reports whether l runs as a simulation (WithSimulation), and
// with which seed. Safe from any goroutine.
func (l *Loop) Simulated() (seed uint64, ok bool) {
	if l.sim == nil {
		return 0, false
	}
	return l.sim.seed, true
}

// simConfig is what WithSimulation asks for.
type simConfig struct{ seed uint64 }

// sim is a simulated loop's scheduler state. Loop goroutine only, except
// seed, which never changes.
type sim struct {
	seed uint64
	rng  uint64 // splitmix64 state
	// timers are the timers armed through AfterFunc and At, in the order
	// they were armed, dead ones pruned from time to time: the candidates
	// for a same-instant permutation (the timer queue cannot list its
	// timers).
	timers []timer.Timer
	due    []timer.Timer // scratch for permuteTimers
}

// startSim makes l a simulation if c asks for it (New calls it).
func (l *Loop) startSim(c *simConfig) error {
	if c == nil {
		return nil
	}
	if !debugbuild.Enabled {
		return ErrNoSimulation
	}
	// The state starts from the seed mixed, not the seed itself: the
	// sequences of two seeds then share no stretch (with the seed as the
	// state, seed s+γ would replay seed s's shifted by one).
	l.sim = &sim{seed: c.seed, rng: mix64(c.seed)}
	return nil
}

// next returns the next number of the seeded sequence: splitmix64, written
// here rather than taken from math/rand so that a seed replays the same
// schedule on every Go release.
func (s *sim) next() uint64 {
	s.rng += 0x9e3779b97f4a7c15
	return mix64(s.rng)
}

// mix64 is splitmix64's finaliser: every bit of z affects every bit of
// the result.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n) (n > 0), by multiply-and-shift: the
// bias, at most n/2^64, does not matter to a test scheduler.
func (s *sim) intn(n int) int {
	hi, _ := bits.Mul64(s.next(), uint64(n))
	return int(hi)
}

// simRunReady is runReady for a simulated loop: the posted batch first, in
// arrival order, then at most taskBudget ready jobs, each chosen by the
// seed among those allowed to run next (pick), each followed by a
// microtask drain.
func (l *Loop) simRunReady() {
	l.takeInbox()
	if !l.runPosted(len(l.posted) - l.postedI) {
		return
	}
	for range l.taskBudget {
		// Wake the fibers whose context a job cancelled now, not when
		// the Post of context.AfterFunc's goroutine arrives, which no
		// seed controls.
		if l.advanceHook != nil {
			l.advanceHook()
		}
		if l.ready.Len() == 0 {
			return
		}
		j := l.sim.pick(&l.ready)
		l.local.tasks++
		if l.debug.watch != nil {
			l.beat(loopdebug.Job)
		}
		l.runTask(j.Run)
		if !l.drainMicrotasks() || l.runErr != nil {
			return
		}
	}
}

// pick removes and returns the next job to run: the oldest one, or any
// Reorderable one that reports true, chosen with equal chances by the
// seed. A job that may not overtake is thus chosen only once it is the
// oldest: everything queued before it has run. q must not be empty.
func (s *sim) pick(q *jobQueue) Job {
	jobs := q.flatten()
	n := 1
	for _, j := range jobs[1:] {
		if reorderable(j) {
			n++
		}
	}
	k := 0
	if n > 1 {
		r := s.intn(n)
		for i, j := range jobs[1:] {
			if r == 0 {
				break
			}
			if reorderable(j) {
				if r--; r == 0 {
					k = i + 1
				}
			}
		}
	}
	return q.removeAt(k)
}

func reorderable(j Job) bool {
	r, ok := j.(Reorderable)
	return ok && r.Reorderable()
}

// flatten moves every job of q into q.run, oldest first, so that they can
// be addressed by index, and returns them.
func (q *jobQueue) flatten() []Job {
	if q.i == 0 && len(q.next) == 0 {
		return q.run
	}
	old := len(q.run)
	n := copy(q.run, q.run[q.i:])
	q.run = append(q.run[:n], q.next...)
	if len(q.run) < old {
		clear(q.run[len(q.run):old]) // do not keep jobs that moved alive
	}
	clear(q.next)
	q.next, q.i = q.next[:0], 0
	return q.run
}

// removeAt removes and returns the job at index k of a flattened q,
// keeping the others in order.
func (q *jobQueue) removeAt(k int) Job {
	j := q.run[k]
	last := len(q.run) - 1
	copy(q.run[k:], q.run[k+1:])
	q.run[last] = nil
	q.run = q.run[:last]
	return j
}

// track records t, just armed on q, as a candidate for permuteTimers.
func (s *sim) track(q *timer.Queue, t timer.Timer) {
	if n := len(s.timers); n >= 64 && n >= 2*q.Len() {
		s.prune(false, 0) // mostly dead: stopped, or fired without a permutation
	}
	s.timers = append(s.timers, t)
}

// prune drops the dead timers from s.timers; with collect, it also puts
// the live ones due at now in s.due.
func (s *sim) prune(collect bool, now int64) {
	live := s.timers[:0]
	for _, t := range s.timers {
		if !t.Pending() {
			continue
		}
		live = append(live, t)
		if collect && t.When() <= now {
			s.due = append(s.due, t)
		}
	}
	clear(s.timers[len(live):])
	s.timers = live
}

// permuteTimers shuffles, with the seed, the firing order of the timers
// that are due at now and share a deadline, before the Expire that
// fires them: it re-arms each group's timers at their own deadline in the
// shuffled order, and a timer queue fires equal deadlines in the order
// they were armed. Re-arming keeps the timer queue's rules intact (a
// callback that stops a timer of the batch still prevents its run).
func (s *sim) permuteTimers(now int64) {
	s.prune(true, now)
	due := s.due
	if len(due) > 1 {
		slices.SortStableFunc(due, func(a, b timer.Timer) int { return cmp.Compare(a.When(), b.When()) })
		for i := 0; i < len(due); {
			when := due[i].When()
			j := i + 1
			for j < len(due) && due[j].When() == when {
				j++
			}
			if g := due[i:j]; len(g) > 1 {
				for k := len(g) - 1; k > 0; k-- {
					r := s.intn(k + 1)
					g[k], g[r] = g[r], g[k]
				}
				for _, t := range g {
					t.Reset(when)
				}
			}
			i = j
		}
	}
	clear(due)
	s.due = due[:0]
}
