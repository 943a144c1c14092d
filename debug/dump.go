package debug

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/loop"
)

// Dump writes a report of every loop of the process that is not closed
// yet to w, like tokio-console's task list: for each loop, its figures,
// the stall going on if the stall detector reported one, and each fiber
// with its number, function and state, and for a parked fiber what it
// waits in (Await, Sleep, Mutex.Lock...). In debug mode (loop.WithDebug,
// WEFT_DEBUG=1) a parked fiber also shows for how long it has waited (on
// its loop's clock), where, where the future it awaits was made, and
// where it was spawned and by which fiber. It returns w's first error.
//
// A loop that does not list its fibers within AnswerWithin is reported as
// not answering, with the stall detector's report (and the offender's
// stack) if it has one.
func Dump(w io.Writer) error {
	entries := loopdebug.Entries()
	answers := askFibers(entries)
	b := bufio.NewWriter(w)
	off := offloadMetrics()
	fmt.Fprintf(b, "weft: %d loops; offload pool: %d queued, %d busy, %d workers\n",
		len(entries), off.Queued, off.Busy, off.Workers)
	for i, e := range entries {
		dumpLoop(b, e, answers[i])
	}
	return b.Flush()
}

func dumpLoop(b *bufio.Writer, e *loopdebug.Entry, a answer) {
	l := e.Loop.(*loop.Loop)
	s := l.Stats()
	mode := ""
	if l.Debugging() {
		mode = " [debug]"
	}
	fmt.Fprintf(b, "\nloop %d%s: %d turns, %d tasks, %d microtasks, %d ready, %d timers armed, %d fds, lag %v (max %v), %d stalls\n",
		e.ID, mode, s.Turns, s.Tasks, s.Microtasks, s.Ready+s.Inbox, s.TimersPending, s.Registered, s.Lag, s.MaxLag, s.Stalls)
	if e.Watch != nil {
		if msg := e.Watch.Stalled.Load(); msg != nil {
			fmt.Fprintf(b, "\t%s\n", indent(*msg, "\t"))
		}
	}
	if !a.ok {
		fmt.Fprintf(b, "\tdid not list its fibers within %v: stalled, not running yet, or stopping\n", AnswerWithin)
		return
	}
	if len(a.fibers) == 0 {
		return
	}
	fmt.Fprintf(b, "\t%d fibers, %d parked:\n", len(a.fibers), a.parked())
	for _, f := range a.fibers {
		writeFiber(b, f)
	}
}

func writeFiber(b *bufio.Writer, f loopdebug.FiberInfo) {
	state := f.State
	if f.What != "" {
		state += " in " + f.What
	}
	if f.For > 0 {
		state += " for " + f.For.Round(time.Microsecond).String()
	}
	fmt.Fprintf(b, "\tfiber %d [%s]: %s\n", f.ID, state, f.Name)
	if f.WaitAt != "" {
		fmt.Fprintf(b, "\t\twaiting at %s\n", f.WaitAt)
	}
	if f.Awaits != "" {
		fmt.Fprintf(b, "\t\ton a future made at %s\n", f.Awaits)
	}
	if f.Spawned != "" {
		by := ""
		if f.Parent != 0 {
			by = fmt.Sprintf(" by fiber %d", f.Parent)
		}
		fmt.Fprintf(b, "\t\tspawned%s at %s\n", by, f.Spawned)
	}
}

// indent puts prefix after every newline of s.
func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
