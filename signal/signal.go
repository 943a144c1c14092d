//go:build linux || darwin || freebsd || netbsd || openbsd

package signal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/loop"
)

// An Event is one or more deliveries of a signal, merged (see the package
// documentation on coalescing).
type Event struct {
	// Signal is the signal, a syscall.Signal.
	Signal os.Signal
	// Count is how many deliveries of Signal this Event stands for, at
	// least 1: the deliveries that came while the previous one was on its
	// way to the loop or waiting for Recv. The kernel merges signals too,
	// so it is a lower bound of how many were sent.
	Count int
}

// ErrStopped is returned by Recv once the subscription is stopped (by
// Stop, or because its loop closed). It matches net.ErrClosed, weft's
// error for a loop or an object that is closed.
var ErrStopped = fmt.Errorf("signal: subscription stopped: %w", loop.ErrClosed)

// ErrInvalid is matched (errors.Is) by the error of Notify and Subscribe
// for a bad argument: no signal, a number that is not a signal, SIGKILL
// or SIGSTOP, a nil loop. It is os.ErrInvalid.
var ErrInvalid = os.ErrInvalid

// A Sub is one subscription: the signals it was made for, delivered to
// one loop. Notify makes one with a callback, Subscribe one that a fiber
// receives from. Stop ends it.
type Sub struct {
	l    *loop.Loop
	sigs []syscall.Signal
	f    func(Event) // the callback face; nil for a stream

	// Written by the relaying goroutines, read on the loop.
	counts  []atomic.Int64 // deliveries not yet turned into an Event, per sigs[i]
	posted  atomic.Bool    // a flush is on its way to the loop
	stopped atomic.Bool
	flushFn func()

	live bool // guarded by reg.mu: registered with its signals' watches

	// Loop goroutine only (the stream face).
	queue   []Event // at most one per signal, oldest first
	waiters []fiber.Waiter
}

// Notify subscribes f to sigs on l: f(ev) runs on l, as a task, for every
// Event. It may be called from any goroutine. See the package documentation
// for coalescing and limits.
func Notify(l *loop.Loop, f func(Event), sigs ...os.Signal) (*Sub, error) {
	if f == nil {
		panic("signal: Notify with a nil func")
	}
	return subscribe(l, f, sigs)
}

// Subscribe subscribes a stream to sigs on l: the fibers of l receive its
// Events with Recv. It may be called from any goroutine. See the package
// documentation for coalescing and limits.
func Subscribe(l *loop.Loop, sigs ...os.Signal) (*Sub, error) {
	return subscribe(l, nil, sigs)
}

func subscribe(l *loop.Loop, f func(Event), sigs []os.Signal) (*Sub, error) {
	if l == nil {
		return nil, fmt.Errorf("signal: subscribe with a nil loop: %w", ErrInvalid)
	}
	list, err := check(sigs)
	if err != nil {
		return nil, err
	}
	s := &Sub{l: l, sigs: list, f: f, counts: make([]atomic.Int64, len(list))}
	s.flushFn = s.flush
	// A subscription can wake its loop from outside, so the loop is not
	// stuck while it lives (the fiber runtime's deadlock check).
	loopctl.HoldRemote(l, 1)
	add(s)
	select {
	case <-l.Done():
		s.Stop() // the loop closed before its close hook could see s
		return nil, loop.ErrClosed
	default:
	}
	return s, nil
}

// check validates sigs and returns them without duplicates.
func check(sigs []os.Signal) ([]syscall.Signal, error) {
	if len(sigs) == 0 {
		return nil, fmt.Errorf("signal: subscribe to no signal: %w", ErrInvalid)
	}
	var list []syscall.Signal
	for _, sig := range sigs {
		s, ok := sig.(syscall.Signal)
		switch {
		case !ok:
			return nil, fmt.Errorf("signal: %v (%T) is not a Unix signal: %w", sig, sig, ErrInvalid)
		case s <= 0 || s >= numSig:
			return nil, fmt.Errorf("signal: %d is not a signal number: %w", int(s), ErrInvalid)
		case s == unix.SIGKILL || s == unix.SIGSTOP:
			return nil, fmt.Errorf("signal: %v cannot be caught: %w", s, ErrInvalid)
		}
		dup := false
		for _, have := range list {
			dup = dup || have == s
		}
		if !dup {
			list = append(list, s)
		}
	}
	return list, nil
}

// numSig bounds the signal numbers accepted: 65 covers the real-time
// signals of Linux, the largest set of the systems supported (os/signal
// uses the same bound).
const numSig = 65

// deliver records one delivery of sigs[i] and sends a flush to the loop
// unless one is on its way. Called by a relaying goroutine.
func (s *Sub) deliver(i int) {
	s.counts[i].Add(1)
	// posted is cleared by flush before it reads the counts: a delivery
	// counted after that read finds it clear and sends the next flush.
	if !s.posted.Swap(true) {
		_ = s.l.Post(s.flushFn) // refused only once the loop is closed
	}
}

// flush turns the deliveries counted so far into Events: callbacks, or
// the stream's queue. On the loop.
func (s *Sub) flush() {
	s.posted.Store(false)
	for i := range s.counts {
		if s.stopped.Load() {
			return
		}
		n := s.counts[i].Swap(0)
		if n == 0 {
			continue
		}
		ev := Event{Signal: s.sigs[i], Count: int(n)}
		if s.f != nil {
			s.f(ev)
			continue
		}
		s.push(ev)
	}
}

// push adds ev to the stream, merged with a pending Event of its signal,
// and wakes one receiver.
func (s *Sub) push(ev Event) {
	merged := false
	for i := range s.queue {
		if s.queue[i].Signal == ev.Signal {
			s.queue[i].Count += ev.Count
			merged = true
		}
	}
	if !merged {
		s.queue = append(s.queue, ev)
	}
	for len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters = s.waiters[1:]
		if w.Wake() {
			break
		}
	}
}

// Recv parks the calling fiber until an Event comes and returns it, the
// oldest first. It returns ErrStopped once the subscription is stopped,
// and ctx's error if ctx is done first. Only a fiber of the subscription's
// loop may call it; it panics on a subscription made by Notify.
func (s *Sub) Recv(ctx context.Context) (Event, error) {
	if s.f != nil {
		panic("signal: Recv on a subscription made by Notify")
	}
	if fiber.Loop(ctx) != s.l {
		return Event{}, errNotLoop
	}
	for {
		if s.stopped.Load() {
			return Event{}, ErrStopped
		}
		if len(s.queue) > 0 {
			ev := s.queue[0]
			s.queue = s.queue[1:]
			if len(s.queue) == 0 {
				s.queue = nil
			}
			return ev, nil
		}
		if err := fiber.Suspend(ctx, "signal.Recv", func(w fiber.Waiter) { s.waiters = append(s.waiters, w) }); err != nil {
			return Event{}, err
		}
	}
}

var errNotLoop = errors.New("signal: Recv from a fiber of another loop than the subscription's")

// Stop ends the subscription: no new callback starts and Recv returns
// ErrStopped once it returns. If s was the last subscriber of a signal,
// the signal goes back to its previous disposition and its relaying
// goroutine has exited when Stop returns. Stop may be called from any
// goroutine, more than once.
func (s *Sub) Stop() {
	if !remove(s) {
		return
	}
	loopctl.HoldRemote(s.l, -1)
	if s.l.OnLoop() {
		s.wakeAll()
	} else {
		_ = s.l.Post(s.wakeAll) // refused once the loop is closed: no fiber is left
	}
}

// wakeAll wakes the parked receivers, which find the subscription stopped.
func (s *Sub) wakeAll() {
	ws := s.waiters
	s.waiters = nil
	s.queue = nil
	for _, w := range ws {
		w.Wake()
	}
}
