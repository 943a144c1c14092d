package debug

import (
	"expvar"

	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

// Metrics are one loop's figures, for monitoring.
type Metrics struct {
	// Loop is the loop's ID (loop.Loop.ID).
	Loop uint64
	// Stats are the loop's counters and depths: tasks, microtasks, polls,
	// timers armed, the lag histogram, stalls reported (loop.Stats).
	loop.Stats
	// Fibers is how many fibers are alive on the loop (started and not
	// done), Parked how many of them wait; 0 on a loop without fibers,
	// -1 if the loop did not answer within AnswerWithin.
	Fibers, Parked int
	// Offload is weft's shared offload pool (behind future.Offload,
	// fiber.Blocking and package fs's worker back-end), which every loop
	// of the process shares: the same figures on every loop.
	Offload OffloadMetrics
}

// OffloadMetrics are the figures of weft's shared offload pool.
type OffloadMetrics struct {
	Queued  int    // functions waiting for a worker: the queue's depth
	Busy    int    // functions running
	Workers int    // worker goroutines alive
	Done    uint64 // functions run, since the process started
}

// Read returns l's metrics. See the package documentation for how it
// reads l's fibers, and how long it may wait.
func Read(l *loop.Loop) Metrics {
	e := loopdebug.Lookup(l)
	if e == nil {
		// Released: its counters still hold, it has no fibers.
		return metricsOf(l, answer{ok: true}, offloadMetrics())
	}
	return metricsOf(l, askFibers([]*loopdebug.Entry{e})[0], offloadMetrics())
}

// ReadAll returns the metrics of every loop of the process that is not
// closed yet, by ID.
func ReadAll() []Metrics {
	entries := loopdebug.Entries()
	answers := askFibers(entries)
	off := offloadMetrics()
	out := make([]Metrics, len(entries))
	for i, e := range entries {
		out[i] = metricsOf(e.Loop.(*loop.Loop), answers[i], off)
	}
	return out
}

func metricsOf(l *loop.Loop, a answer, off OffloadMetrics) Metrics {
	m := Metrics{Loop: l.ID(), Stats: l.Stats(), Offload: off}
	if !a.ok {
		m.Fibers, m.Parked = -1, -1
		return m
	}
	m.Fibers, m.Parked = len(a.fibers), a.parked()
	return m
}

func offloadMetrics() OffloadMetrics {
	s := offload.Shared().Stats()
	return OffloadMetrics{Queued: s.Queued, Busy: s.Busy, Workers: s.Workers, Done: s.Done}
}

// The expvar variable "weft" is ReadAll, as JSON, on /debug/vars.
func init() {
	expvar.Publish("weft", expvar.Func(func() any { return ReadAll() }))
}
