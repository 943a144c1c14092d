//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"time"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/timer"
)

// deadline is one direction's deadline on the loop's clock.
//
// Its timer is moved lazily: a server moves a deadline later, or clears
// it, before and after every read, and each of those used to stop a timer
// and arm another (a push onto the heap of every connection's timers, and
// a stale entry left in it).
// Now a deadline moved later, or cleared, only records the new time; the
// armed timer, due first, finds the deadline moved when it fires and arms
// itself again for the new time (or does nothing). Only a deadline moved
// earlier than the armed timer re-arms at once. A connection keeps at
// most one timer per direction, which Close stops.
type deadline struct {
	t       timer.Timer // armed for t.When(), or dead (When is 0)
	at      int64       // the deadline on the loop's clock; 0: none
	expired bool
	fire    func() // t's callback (init)
	wake    func() // wakes the direction's waiters
}

// init makes d's timer callback once: moving d (as a server does before
// every read) allocates nothing.
func (d *deadline) init(l *loop.Loop, wake func()) {
	d.wake = wake
	d.fire = func() {
		switch {
		case d.at == 0: // cleared since it was armed
		case d.at > l.Now(): // moved later: wait on
			d.arm(l, d.at)
		default:
			d.expired = true
			d.wake()
		}
	}
}

// arm stops d's timer, if armed, and arms it for at.
func (d *deadline) arm(l *loop.Loop, at int64) {
	d.t.Stop()
	d.t = l.At(at, d.fire)
}

// stop stops d's timer: the connection is closing.
func (d *deadline) stop() {
	d.t.Stop()
	d.at = 0
}

// setLoopDeadline moves d, made with init, to t on l's clock. A deadline
// already passed marks d expired and wakes its waiters now; one moved
// later or cleared leaves an armed timer to find that out when it fires
// (deadline).
func setLoopDeadline(l *loop.Loop, d *deadline, t time.Time) {
	d.expired = false
	if t.IsZero() {
		d.at = 0
		return
	}
	at := l.Instant(t)
	if at <= l.Now() {
		d.at = 0
		d.expired = true
		d.wake()
		return
	}
	d.at = at
	if armed := d.t.When(); armed == 0 || armed > d.at {
		d.arm(l, d.at)
	}
}
