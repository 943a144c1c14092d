package loop

import (
	"sync/atomic"
	"time"
)

// Stats are a loop's figures. Counters are totals since New; depths and lag
// are as of the end of the loop's last turn, except Inbox, which is live.
type Stats struct {
	Turns      uint64 // passes through the loop's phases
	Tasks      uint64 // ready-queue tasks run (Post and Schedule)
	Posted     uint64 // tasks that came in through Post
	Microtasks uint64 // microtasks run
	Timers     uint64 // timer callbacks run
	Events     uint64 // readiness events dispatched to handlers
	Polls      uint64 // calls into the poller

	Ready          int // tasks waiting in the ready queue
	Inbox          int // posted tasks not yet taken by the loop
	MicrotaskQueue int // microtasks left over for the next turn
	TimersPending  int // armed timers
	Registered     int // fds registered with the poller

	// Lag is how late, on the loop's clock, the most overdue timer of the
	// last turn that fired timers ran; MaxLag is the largest Lag seen.
	Lag, MaxLag time.Duration

	// LagHist counts every turn's Lag (turns that fired timers) by
	// bucket; LagBound gives the buckets' bounds. LagSum is the sum of
	// those lags. Both are zero in a build with the weft_nodebug tag.
	LagHist [LagBuckets]uint64
	LagSum  time.Duration
	// Stalls counts the stalls reported by the stall detector (WithStall).
	Stalls uint64
}

// localStats are the loop goroutine's running counters; publishStats copies
// them to sharedStats once per turn so that Stats can read them from any
// goroutine without taxing every task with an atomic add.
type localStats struct {
	turns, tasks, posted, micro, timers, events, polls uint64
	lag, maxLag                                        int64
}

type sharedStats struct {
	turns, tasks, posted, micro, timers, events, polls atomic.Uint64
	ready, microQ, timersPending, registered           atomic.Int64
	lag, maxLag                                        atomic.Int64
}

func (l *Loop) publishStats() {
	s, c := &l.stats, &l.local
	s.turns.Store(c.turns)
	s.tasks.Store(c.tasks)
	s.posted.Store(c.posted)
	s.micro.Store(c.micro)
	s.timers.Store(c.timers)
	s.events.Store(c.events)
	s.polls.Store(c.polls)
	s.ready.Store(int64(l.ready.Len() + len(l.posted) - l.postedI))
	s.microQ.Store(int64(l.micro.Len()))
	s.timersPending.Store(int64(l.timers.Len()))
	s.registered.Store(int64(l.fds))
	s.lag.Store(c.lag)
	s.maxLag.Store(c.maxLag)
}

// Stats returns the loop's figures. Safe from any goroutine.
func (l *Loop) Stats() Stats {
	s := &l.stats
	st := Stats{
		Turns:          s.turns.Load(),
		Tasks:          s.tasks.Load(),
		Posted:         s.posted.Load(),
		Microtasks:     s.micro.Load(),
		Timers:         s.timers.Load(),
		Events:         s.events.Load(),
		Polls:          s.polls.Load(),
		Ready:          int(s.ready.Load()),
		Inbox:          int(l.inboxN.Load()),
		MicrotaskQueue: int(s.microQ.Load()),
		TimersPending:  int(s.timersPending.Load()),
		Registered:     int(s.registered.Load()),
		Lag:            time.Duration(s.lag.Load()),
		MaxLag:         time.Duration(s.maxLag.Load()),
	}
	l.debugStats(&st)
	return st
}
