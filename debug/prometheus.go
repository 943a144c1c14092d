package debug

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/weftio/weft/loop"
)

// WritePrometheus writes the metrics of every loop of the process (as
// ReadAll returns them) to w in the Prometheus text exposition format,
// version 0.0.4: one family per figure, with a loop label per loop, the
// loop lag as a histogram in seconds, and the shared offload pool's
// figures once, without a label. Families are prefixed weft_loop_ and
// weft_offload_. It returns w's first error.
func WritePrometheus(w io.Writer) error {
	return writePrometheus(w, ReadAll())
}

// A family is one metric of every loop.
type family struct {
	name, typ, help string
	value           func(*Metrics) float64
	skip            func(*Metrics) bool // leave this loop out (unknown value)
}

var families = []family{
	{"weft_loop_turns_total", "counter", "Passes through the loop's phases.", func(m *Metrics) float64 { return float64(m.Turns) }, nil},
	{"weft_loop_tasks_total", "counter", "Ready-queue tasks run (posted, scheduled, fiber resumptions).", func(m *Metrics) float64 { return float64(m.Tasks) }, nil},
	{"weft_loop_posted_total", "counter", "Tasks that came in through Post.", func(m *Metrics) float64 { return float64(m.Posted) }, nil},
	{"weft_loop_microtasks_total", "counter", "Microtasks (future reactions) run.", func(m *Metrics) float64 { return float64(m.Microtasks) }, nil},
	{"weft_loop_timers_fired_total", "counter", "Timer callbacks run.", func(m *Metrics) float64 { return float64(m.Timers) }, nil},
	{"weft_loop_events_total", "counter", "Readiness events dispatched.", func(m *Metrics) float64 { return float64(m.Events) }, nil},
	{"weft_loop_polls_total", "counter", "Calls into the poller.", func(m *Metrics) float64 { return float64(m.Polls) }, nil},
	{"weft_loop_stalls_total", "counter", "Stalls reported by the stall detector.", func(m *Metrics) float64 { return float64(m.Stalls) }, nil},
	{"weft_loop_ready_tasks", "gauge", "Tasks waiting in the ready queue.", func(m *Metrics) float64 { return float64(m.Ready) }, nil},
	{"weft_loop_inbox_tasks", "gauge", "Posted tasks not yet taken by the loop.", func(m *Metrics) float64 { return float64(m.Inbox) }, nil},
	{"weft_loop_timers_armed", "gauge", "Timers armed.", func(m *Metrics) float64 { return float64(m.TimersPending) }, nil},
	{"weft_loop_fds_registered", "gauge", "File descriptors registered with the poller.", func(m *Metrics) float64 { return float64(m.Registered) }, nil},
	{"weft_loop_fibers", "gauge", "Fibers alive (started and not done).", func(m *Metrics) float64 { return float64(m.Fibers) }, unanswered},
	{"weft_loop_fibers_parked", "gauge", "Fibers parked (waiting).", func(m *Metrics) float64 { return float64(m.Parked) }, unanswered},
}

func unanswered(m *Metrics) bool { return m.Fibers < 0 }

func writePrometheus(w io.Writer, ms []Metrics) error {
	b := bufio.NewWriter(w)
	for _, f := range families {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		for i := range ms {
			m := &ms[i]
			if f.skip != nil && f.skip(m) {
				continue
			}
			fmt.Fprintf(b, "%s{loop=\"%d\"} %s\n", f.name, m.Loop, num(f.value(m)))
		}
	}
	const lag = "weft_loop_lag_seconds"
	fmt.Fprintf(b, "# HELP %s How late timers ran: per turn that fired timers, the most overdue one's lateness.\n# TYPE %s histogram\n", lag, lag)
	for i := range ms {
		m := &ms[i]
		var cum uint64
		for j, n := range m.LagHist {
			cum += n
			le := "+Inf"
			if j < loop.LagBuckets-1 {
				le = num(loop.LagBound(j).Seconds())
			}
			fmt.Fprintf(b, "%s_bucket{loop=\"%d\",le=\"%s\"} %d\n", lag, m.Loop, le, cum)
		}
		fmt.Fprintf(b, "%s_sum{loop=\"%d\"} %s\n", lag, m.Loop, num(m.LagSum.Seconds()))
		fmt.Fprintf(b, "%s_count{loop=\"%d\"} %d\n", lag, m.Loop, cum)
	}
	var off OffloadMetrics
	if len(ms) > 0 {
		off = ms[0].Offload
	} else {
		off = offloadMetrics()
	}
	fmt.Fprintf(b, "# HELP weft_offload_queued Functions waiting for a worker of the shared offload pool.\n# TYPE weft_offload_queued gauge\nweft_offload_queued %d\n", off.Queued)
	fmt.Fprintf(b, "# HELP weft_offload_busy Functions running on the shared offload pool.\n# TYPE weft_offload_busy gauge\nweft_offload_busy %d\n", off.Busy)
	fmt.Fprintf(b, "# HELP weft_offload_workers Worker goroutines of the shared offload pool.\n# TYPE weft_offload_workers gauge\nweft_offload_workers %d\n", off.Workers)
	fmt.Fprintf(b, "# HELP weft_offload_done_total Functions run by the shared offload pool.\n# TYPE weft_offload_done_total counter\nweft_offload_done_total %d\n", off.Done)
	return b.Flush()
}

// num formats v as Prometheus reads it: the shortest representation.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
