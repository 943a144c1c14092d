package poller

// The contract.
//
// A Poller watches file descriptors for readiness and hands each readiness
// to the Handler registered with it. It has one owner, the loop goroutine:
// every method except Wake must be called from that goroutine only (or,
// for Close, after the loop has stopped calling the others). Wake is the
// single door for every other goroutine.
//
//   - Add(fd, ev, h) registers fd once, edge-triggered, for Readable and/or
//     Writable; HangUp and Error are always reported. There is no Modify:
//     interest is fixed for the registration's lifetime, and a consumer that
//     does not want write readiness any more simply ignores Writable. An fd
//     already registered is refused with an error matching fs.ErrExist; an
//     ev with neither Readable nor Writable is refused with EINVAL.
//   - Edge-triggered means one event per transition, not per state. After
//     an event the consumer must read (or write) until the call returns
//     EAGAIN before it may expect the next one; stopping earlier with data
//     still buffered means no event ever comes for that data.
//   - Remove(fd) unregisters fd and must be called before fd is closed:
//     the kernel keys registrations by open file description, so a closed
//     but dup'ed fd would go on reporting. Remove of an fd that is not
//     registered fails with an error matching fs.ErrNotExist. The
//     registration is forgotten even when the kernel call fails, so the fd
//     number can be added again. Events for fd that the Wait in progress
//     has fetched but not yet dispatched are dropped.
//   - Wait(timeout, dispatch) blocks until an event, a Wake or the timeout
//     (timeout < 0: forever; 0: poll and return; otherwise with nanosecond
//     precision where the kernel offers it, and never shorter than asked),
//     then calls dispatch(h, ev) once per fetched event, in the loop
//     goroutine, before it returns. A nil dispatch calls h.Ready(ev). It
//     returns the number of events dispatched; wake-ups are not counted and
//     not dispatched, so (0, nil) is a normal result. A signal never ends a
//     Wait early: EINTR is retried with the time left. dispatch may call
//     Add and Remove (that is how the stale-event rule is exercised) but not
//     Wait. A panic in dispatch drops the rest of the batch, and with edge
//     triggering those events are gone: recover inside dispatch if the
//     handlers can panic.
//   - Wake makes the Wait in progress, or the next one, return. It is safe
//     from any goroutine, including concurrently with Close. Wakes are
//     coalesced: between two Waits that observe a wake-up, only the first
//     Wake makes a syscall.
//   - Close releases the poller's own descriptors, not the registered ones,
//     which stay owned by whoever added them. Every later call, Close
//     included, returns an error matching os.ErrClosed (the poller is a file
//     descriptor below the network layer, so it reports like an *os.File).
//
// Stale events. An fd number is reused as soon as it is closed, so an event
// fetched for the old file must not reach the handler of a new file with the
// same number. The registration table below keeps, per fd, the handler and
// a generation that Add and Remove both bump. Right after the kernel returns
// a batch, Wait records each event's generation; before dispatching event i
// it compares that record with the table and drops the event on mismatch.
// This needs nothing from the kernel's per-event user data (whose type
// differs between the BSDs), so every back-end shares it.

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Events is a set of readiness conditions.
type Events uint32

// The readiness conditions. Only Readable and Writable can be asked for;
// HangUp and Error are reported whether asked for or not.
const (
	// Readable means a read will not block: data, EOF or a pending accept.
	Readable Events = 1 << iota
	// Writable means a write will not block.
	Writable
	// HangUp means the peer closed or shut down its end (EPOLLRDHUP,
	// EPOLLHUP; kqueue EV_EOF). Reads may still return buffered data first.
	HangUp
	// Error means the fd has a pending error (EPOLLERR; kqueue EV_ERROR);
	// the next read or write, or SO_ERROR, reports it.
	Error
)

// interest is the part of an Events that Add accepts.
const interest = Readable | Writable

var eventNames = [...]string{"Readable", "Writable", "HangUp", "Error"}

// String returns the set as names joined by "|", such as "Readable|HangUp";
// the empty set is "0" and unknown bits are appended in hex.
func (e Events) String() string {
	if e == 0 {
		return "0"
	}
	var b strings.Builder
	for i, name := range eventNames {
		if e&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(name)
	}
	if rest := e &^ (1<<len(eventNames) - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%#x", uint32(rest))
	}
	return b.String()
}

// Handler receives readiness for one registered fd.
type Handler interface {
	// Ready is called on the loop goroutine with the conditions observed
	// for the fd it was registered with.
	Ready(ev Events)
}

// Poller is a readiness poller: one per event loop. The contract at the top
// of this file says what each method means and who may call it.
type Poller interface {
	// Add registers fd once, edge-triggered, for the events in ev (Readable
	// and/or Writable; HangUp and Error are always reported). Loop goroutine
	// only. Registering an fd that is already registered is an error
	// matching fs.ErrExist.
	Add(fd int, ev Events, h Handler) error

	// Remove unregisters fd. It must be called before fd is closed. Any
	// event for fd already fetched by the Wait in progress and not yet
	// dispatched is dropped. Loop goroutine only.
	Remove(fd int) error

	// Wait blocks until at least one event, a Wake or the timeout
	// (timeout < 0: forever; 0: non-blocking; nanosecond precision where
	// the kernel has it), then calls dispatch(h, ev) for every event
	// (dispatch == nil: h.Ready(ev)). It returns the number of events
	// dispatched. EINTR is never surfaced. Loop goroutine only.
	Wait(timeout time.Duration, dispatch func(h Handler, ev Events)) (int, error)

	// Wake makes a Wait in progress (or the next one) return. Safe from any
	// goroutine. A burst of Wakes before the loop consumes one costs a
	// single syscall.
	Wake() error

	// Close releases the poller's own fds, not the registered ones. Later
	// calls to any method return an error matching os.ErrClosed.
	Close() error
}

// A Blocker is a Poller that normally parks its goroutine while it waits
// (epoll on Linux) and can be told to block its thread in the kernel
// instead, while on is set: for a loop waiting on io_uring completions,
// which the kernel finishes on the thread that submitted them (package fs
// sets it while operations are in flight; docs/fs.md has the
// measurements). Loop goroutine only.
type Blocker interface {
	BlockHint(on bool)
}

// errClosed is returned by every method once Close has run.
var errClosed = fmt.Errorf("poller: %w", os.ErrClosed)

// reg is one slot of the registration table.
type reg struct {
	h   Handler // nil when the slot is free
	gen uint32  // bumped by Add and Remove; wraps harmlessly
	ev  Events  // interest, for back-ends that must undo it per filter
}

// registry maps an fd number to its registration. A slice indexed by fd
// rather than a map: fds are small dense integers, and Wait looks up every
// event, so the lookup is an index, not a hash.
type registry struct {
	regs []reg
}

// add records h for fd and reports false if fd is already registered.
func (r *registry) add(fd int, ev Events, h Handler) bool {
	if fd >= len(r.regs) {
		n := max(fd+1, 2*len(r.regs), 64)
		r.regs = append(r.regs, make([]reg, n-len(r.regs))...)
	}
	s := &r.regs[fd]
	if s.h != nil {
		return false
	}
	s.h, s.ev = h, ev
	s.gen++
	return true
}

// registered reports whether fd is registered.
func (r *registry) registered(fd int) bool {
	return fd >= 0 && fd < len(r.regs) && r.regs[fd].h != nil
}

// remove forgets fd, returning its interest, and reports false if fd was
// not registered.
func (r *registry) remove(fd int) (Events, bool) {
	if !r.registered(fd) {
		return 0, false
	}
	s := &r.regs[fd]
	ev := s.ev
	s.h, s.ev = nil, 0
	s.gen++
	return ev, true
}

// gen is the generation to record for an event fetched for fd.
func (r *registry) gen(fd int) uint32 {
	if fd < 0 || fd >= len(r.regs) {
		return 0
	}
	return r.regs[fd].gen
}

// handler returns the handler for an event recorded with generation gen, or
// nil if fd has been removed or re-added since.
func (r *registry) handler(fd int, gen uint32) Handler {
	if fd < 0 || fd >= len(r.regs) {
		return nil
	}
	s := &r.regs[fd]
	if s.gen != gen {
		return nil
	}
	return s.h
}

// waker is the platform-neutral half of Wake: the coalescing flag and the
// lock that keeps a wake write away from a closing fd.
type waker struct {
	// pending is set by the Wake that does the write and cleared by Wait
	// after it has drained the wake fd. Clearing after draining, not
	// before, is what keeps a Wake from being lost: a write that lands
	// after the drain found the flag still set and was never made, or
	// found it clear and produces a fresh edge for the next Wait.
	pending atomic.Bool
	closed  atomic.Bool
	// mu is held only around the write, which at most one Wake per Wait
	// reaches, so the coalesced path stays lock-free. Close takes it so
	// that a Wake never writes to an fd number that Close has released
	// and someone else may have reused.
	mu sync.Mutex
	// writes counts wake write syscalls, for the coalescing test.
	writes atomic.Uint64
}

// begin reports whether the caller must write the wake fd; if so it
// returns with mu held and the caller must call end.
func (w *waker) begin() (bool, error) {
	if w.closed.Load() {
		return false, errClosed
	}
	if w.pending.Load() || !w.pending.CompareAndSwap(false, true) {
		return false, nil
	}
	w.mu.Lock()
	if w.closed.Load() {
		w.mu.Unlock()
		return false, errClosed
	}
	return true, nil
}

// end releases mu after the write; a failed write clears the flag so
// that the next Wake tries again instead of coalescing into nothing.
func (w *waker) end(err error) {
	if err != nil {
		w.pending.Store(false)
	}
	w.mu.Unlock()
}

// close marks the poller closed and reports false if it already was. It
// returns with mu held so the caller can release its fds before any Wake
// can look at them; the caller must unlock.
func (w *waker) close() bool {
	w.mu.Lock()
	if w.closed.Load() {
		w.mu.Unlock()
		return false
	}
	w.closed.Store(true)
	return true
}

// batchSize is how many events one Wait fetches. More ready fds stay on the
// kernel's ready list for the next Wait, so it bounds latency per turn, not
// correctness.
const batchSize = 128

// remaining returns how much of timeout is left since start, for retrying
// a wait that a signal interrupted; negative timeouts stay infinite.
func remaining(timeout time.Duration, start time.Time) time.Duration {
	if timeout <= 0 {
		return timeout
	}
	return max(timeout-time.Since(start), 0)
}
