package future

import (
	"fmt"
	"log"
	"runtime"
	"sync/atomic"

	"github.com/weftio/weft/loop"
)

// Unhandled describes a rejection nobody observed: a future was rejected
// and no reaction, Wait, ToChan or Follow ever looked at it.
type Unhandled struct {
	// Err is the rejection.
	Err error
	// Origin is "file:line (function)" of where the rejection came from:
	// the call to Reject, or the handler that returned the error or
	// panicked. Empty if unknown.
	Origin string
	// Loop is the loop the future belonged to.
	Loop *loop.Loop
	// When says how it was found: "collected" (the future was garbage
	// collected), "loop closed", or "reaction panicked" (an OnSettled func
	// panicked; Err carries the panic and its stack).
	When string
}

var hook atomic.Pointer[func(Unhandled)]

// SetUnhandledHook makes h receive every unhandled rejection and returns
// the hook it replaces; nil restores the default, which logs each one with
// the standard logger. h runs on the future's loop, on the goroutine that
// closes it (for "loop closed"), or on a runtime goroutine when the loop is
// gone; it must not block. Safe from any goroutine.
//
// A rejected future counts as unhandled when it is collected, or its loop
// closes, without anything having observed it. Rejections with
// context.Canceled (errors.Is) are not reported: whoever cancelled knows. Like Node's and unlike a
// plain Go error, a future cannot make you check it; this hook is where a
// forgotten error ends up instead of vanishing.
func SetUnhandledHook(h func(Unhandled)) (previous func(Unhandled)) {
	var old *func(Unhandled)
	if h == nil {
		old = hook.Swap(nil)
	} else {
		old = hook.Swap(&h)
	}
	if old == nil {
		return nil
	}
	return *old
}

func deliver(u Unhandled) {
	h := hook.Load()
	if h == nil {
		logUnhandled(u)
		return
	}
	// The hook runs on a loop, a closing goroutine or the runtime's
	// cleanup goroutine: a panic there must not take any of them down.
	if err := call0(func() { (*h)(u) }); err != nil {
		log.Printf("weft/future: unhandled-rejection hook panicked: %v", err)
		logUnhandled(u)
	}
}

func logUnhandled(u Unhandled) {
	log.Printf("weft/future: unhandled rejection (%s): %v (from %s)", u.When, u.Err, u.Origin)
}

// record is the bookkeeping for one rejected future that nothing has
// observed yet. It must not point back at the future, or the future could
// never be collected.
type record struct {
	err    error
	origin uintptr
	l      *loop.Loop
	done   atomic.Bool // observed or reported: nothing more to do
	ls     *loopState
}

// observe marks r as handled. Loop goroutine only.
func (r *record) observe() {
	if r.done.CompareAndSwap(false, true) {
		r.ls.remove(r)
	}
}

// report delivers r once, unless it was observed first.
func (r *record) report(when string) {
	if r.done.CompareAndSwap(false, true) {
		r.ls.remove(r)
		deliver(Unhandled{Err: r.err, Origin: origin(r.origin), Loop: r.l, When: when})
	}
}

// track starts watching f, just rejected with nothing observing it: it is
// reported when collected or when its loop closes, unless a reaction comes
// first. Only rejections without a handler pay for this.
func (f *Future[T]) track() {
	ls := stateOf(f.l)
	r := &record{err: f.error(), origin: f.originPC(), l: f.l, ls: ls}
	ls.mu.Lock()
	ls.records[r] = struct{}{}
	ls.mu.Unlock()
	f.x.rec = r
	runtime.AddCleanup(f, collected, r)
}

// collected runs on a runtime goroutine once an unobserved rejected future
// is garbage. The report goes through the loop, so the hook runs there; if
// the loop is closed, its close hook has already reported everything.
func collected(r *record) {
	if r.done.Load() {
		return
	}
	if r.l.Post(func() { r.report("collected") }) != nil {
		r.report("collected")
	}
}

// report delivers a panic of a reaction that has no future to reject.
func report(l *loop.Loop, err error, pc uintptr) {
	deliver(Unhandled{Err: err, Origin: origin(pc), Loop: l, When: "reaction panicked"})
}

// origin formats pc as "file:line (function)".
func origin(pc uintptr) string {
	if pc == 0 {
		return ""
	}
	frames := runtime.CallersFrames([]uintptr{pc})
	fr, _ := frames.Next()
	if fr.Function == "" {
		return fmt.Sprintf("pc %#x", pc)
	}
	return fmt.Sprintf("%s:%d (%s)", fr.File, fr.Line, fr.Function)
}
