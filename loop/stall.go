package loop

import (
	"bytes"
	"fmt"
	"log"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weftio/weft/internal/loopdebug"
)

// DefaultStallThreshold is the stall detector's threshold in debug mode
// (WithDebug, WEFT_DEBUG=1) when WithStall does not set one: long enough
// that a loop busy with honest work (a TLS handshake, a large copy) is not
// reported, short enough that a blocking call is.
const DefaultStallThreshold = 50 * time.Millisecond

// A Stall is the stall detector's report (WithStall): something held a
// loop for longer than the threshold without returning to it.
type Stall struct {
	// Loop is the loop's ID.
	Loop uint64
	// What held it: "task", "timer callback", "I/O readiness handler",
	// "microtask drain", "pre-poll hook", "job", "the loop's own code",
	// or a fiber: "fiber 3 (pkg.handler)", with ", spawned at
	// file:line (function)" in debug mode.
	What string
	// Held is how long it had held the loop when the report was made: at
	// least the threshold, and it may go on.
	Held time.Duration
	// Goroutine is the number of the goroutine that ran it (a fiber runs
	// on a coroutine's goroutine, not the loop's), as runtime.Stack
	// prints it.
	Goroutine int64
	// Stack is that goroutine's stack, captured while it still held the
	// loop: the offender is on top. Empty if the loop moved on while the
	// stack was being captured.
	Stack string
}

// String formats s as the detector logs it by default.
func (s Stall) String() string {
	msg := fmt.Sprintf("weft: loop %d stalled: %s has held it for %v", s.Loop, s.What, s.Held.Round(time.Millisecond))
	if s.Stack == "" {
		return msg + " (it returned before its stack was captured)"
	}
	return msg + "\n" + s.Stack
}

// watchStalls starts the loop's watchdog goroutine and returns what stops
// it and waits for it to be gone.
//
// The watchdog compares the loop's heartbeat (loopdebug.Watch, bumped
// each time the loop starts a task, a callback or a fiber's run) every
// period. While the beat stays the same and says the loop is running
// something rather than polling, that something has held the loop since
// the watchdog first saw the beat; once that is threshold or more, the
// watchdog reports it, once. Go has no way to read another goroutine's
// stack alone, so the report takes a profile of every goroutine and keeps
// the one that owns the loop, found by the number it registered
// (offenderStack).
func (l *Loop) watchStalls() (stop func()) {
	w, threshold := l.debug.watch, l.debug.stall
	period := max(threshold/4, 100*time.Microsecond)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		var (
			last     uint64
			since    = time.Now()
			reported bool
		)
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			seq, kind := w.Read()
			now := time.Now()
			if seq != last {
				if reported {
					w.Stalled.Store(nil)
				}
				last, since, reported = seq, now, false
				continue
			}
			if reported || kind == loopdebug.Poll {
				continue
			}
			if held := now.Sub(since); held >= threshold {
				reported = true
				l.reportStall(seq, kind, held)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		w.Stalled.Store(nil)
	}
}

// runJobsWatched is runJobs (loop.go) with a heartbeat before each job,
// for the stall detector. The check for the detector stays out of
// runJobs' loop, where it cost every job (a fiber switch is one) four
// instructions with the detector off: runJobs checks once per call and
// hands over to this copy. Keep the two in step.
func (l *Loop) runJobsWatched(max int) (n int, ok bool) {
	ok = true
	defer l.recoverTask()
	for n < max && l.ready.Len() > 0 {
		j := l.ready.Pop()
		n++
		l.local.tasks++
		l.takeLeft = max - n
		l.beat(loopdebug.Job)
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

// reportStall builds the report of a stall seen at beat seq, and delivers
// it. On the watchdog goroutine.
func (l *Loop) reportStall(seq uint64, kind loopdebug.Kind, held time.Duration) {
	w := l.debug.watch
	s := Stall{Loop: l.debug.id, What: kind.String(), Held: held}
	if r := w.Runner(); kind == loopdebug.Fiber && r != nil {
		s.What = r.String()
	}
	if n, ok := w.Goroutine(l.owner.Load()); ok {
		s.Goroutine = n
		stack := offenderStack(n)
		// If the loop moved on during the capture, the stack may be of
		// whatever came next: better none than a wrong one.
		if now, _ := w.Read(); now == seq {
			s.Stack = stack
		}
	}
	w.Stalls.Add(1)
	msg := s.String()
	w.Stalled.Store(&msg)
	if l.debug.onStall != nil {
		l.debug.onStall(s)
		return
	}
	log.Print(msg)
}

// offenderStack returns the stack of the goroutine numbered n, which
// carries the pprof label weft.goroutine=n: from a goroutine profile,
// which stops the world only to start it (its records are taken as
// goroutines are about to run again), or, if no goroutine has the label
// (user code replaced it), from runtime.Stack of every goroutine.
func offenderStack(n int64) string {
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err == nil {
		if s := findLabelled(b.Bytes(), n); s != "" {
			return s
		}
	}
	return goroutineStack(n)
}

// findLabelled returns, from profile (a goroutine profile written with
// debug=1: records separated by blank lines, each with a count, its
// labels and a frame per line, "#\tPC\tfunction+offset\tfile:line"), the
// stack of the record labelled weft.goroutine=n, formatted much as
// runtime.Stack formats one: a header, then each frame's function and, on
// the next line, its file, line and offset (arguments are not in a
// profile). "" if there is none.
func findLabelled(profile []byte, n int64) string {
	label := []byte(`"` + loopdebug.GoroutineLabel + `":"` + strconv.FormatInt(n, 10) + `"`)
	for _, rec := range bytes.Split(profile, []byte("\n\n")) {
		if !bytes.Contains(rec, label) {
			continue // another goroutine's record: do not format it
		}
		var b strings.Builder
		fmt.Fprintf(&b, "goroutine %d [from a goroutine profile]:", n)
		for _, line := range bytes.Split(rec, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("# labels: ")) {
				continue
			}
			// Fields are separated by runs of tabs (the profile aligns
			// its columns).
			f := strings.FieldsFunc(string(line), func(r rune) bool { return r == '\t' })
			if len(f) == 4 && f[0] == "#" {
				fn, off, _ := strings.Cut(f[2], "+0x")
				fmt.Fprintf(&b, "\n%s(...)\n\t%s +0x%s", fn, strings.TrimSpace(f[3]), off)
			}
		}
		return b.String() // only the labels line can hold the label
	}
	return ""
}

// maxStackDump bounds the buffer for the stacks of all goroutines.
const maxStackDump = 64 << 20

// stackDumpSize is the size of buffer the last capture needed, with room
// to spare: every retry with a larger buffer stops the world again and
// formats every stack again.
var stackDumpSize atomic.Int64

// goroutineStack returns the stack of the goroutine numbered n, with its
// header line, as runtime.Stack prints it; "" if there is no such
// goroutine. runtime.Stack stops the world while it formats every
// goroutine's stack (docs/debugging.md has the cost).
func goroutineStack(n int64) string {
	buf := make([]byte, max(64<<10, stackDumpSize.Load()))
	for {
		m := runtime.Stack(buf, true)
		if m < len(buf) || len(buf) >= maxStackDump {
			buf = buf[:m]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stackDumpSize.Store(int64(min(len(buf)+len(buf)/4, maxStackDump)))
	return findGoroutine(buf, n)
}

// findGoroutine returns the block of goroutine n in dump, the output of
// runtime.Stack(_, true): blocks start with "goroutine N [" and are
// separated by blank lines.
func findGoroutine(dump []byte, n int64) string {
	header := []byte("goroutine " + strconv.FormatInt(n, 10) + " [")
	for len(dump) > 0 {
		block := dump
		if i := bytes.Index(dump, []byte("\n\n")); i >= 0 {
			block, dump = dump[:i], dump[i+2:]
		} else {
			dump = nil
		}
		if bytes.HasPrefix(block, header) {
			return string(bytes.TrimRight(block, "\n"))
		}
	}
	return ""
}
