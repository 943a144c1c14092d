//go:build linux

package fs

import (
	"errors"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// ringBackend submits ops to one io_uring per loop. Ops started during a
// turn wait in the submission queue and go to the kernel in one
// io_uring_enter just before the loop polls (a pre-poll hook), so a burst
// of reads costs one system call. Completions wake the loop through the
// ring's eventfd, registered in its poller, and are reaped there; those
// the kernel finished inside the submission (data in the page cache) are
// reaped at once, in the same turn.
//
// At most cap ops are in flight, the size of the completion queue, so it
// can never overflow; more wait in FIFO order in waiting.
type ringBackend struct {
	l    *loop.Loop
	r    *uring.Ring
	pool *poolBackend // for ops the kernel's io_uring lacks

	slots []*op    // by user-data slot
	gens  []uint32 // each slot's generation, in the high half of the user data
	free  []uint32
	live  int // ops in the ring (submitted or queued in the SQ)
	cap   int

	waiting []*op // beyond cap, in order
	active  bool  // ops are live or waiting: the eventfd is not quiet
	retry   bool  // a failed submission is to be retried by a timer

	onCQE func(uring.CQE)
}

// cancelTag marks the user data of a cancel request, whose own completion
// is ignored.
const cancelTag = 1 << 63

// maxIO bounds one read or write (the SQE's length is 32 bits); a longer
// one is a short transfer and the caller goes on.
const maxIO = 1 << 30

func newRing(l *loop.Loop, entries uint32) (*ringBackend, error) {
	if entries == 0 {
		entries = 256
	}
	r, err := uring.New(uring.Config{Entries: entries})
	if err != nil {
		return nil, err
	}
	b := &ringBackend{l: l, r: r, pool: newPool(l), cap: int(2 * entries)}
	b.onCQE = b.complete
	if err := l.Register(r.EventFD(), poller.Readable, b); err != nil {
		r.Close()
		return nil, err
	}
	// The eventfd is quiet while no op is in the ring: it cannot fire,
	// so the loop need not poll for it, and a deadlock check must not
	// count it (hold).
	loopctl.Quiet(l, 1)
	loopctl.AddPrePoll(l, b.submit)
	return b, nil
}

// Ready is the eventfd's readiness: completions are in.
func (b *ringBackend) Ready(poller.Events) {
	b.r.DrainEventFD()
	b.reap()
}

func (b *ringBackend) start(o *op) {
	switch {
	case o.kind.metadata():
		// Metadata (open, statx, rename, unlink, mkdir), which io_uring
		// always hands to a worker thread of its own (io-wq), goes to
		// the offload pool instead: a Stat round trip took 22-29 µs
		// through io-wq on this VM, 5-6 µs through the pool (os: 1.5-2),
		// and opening files 3× as long (docs/fs.md). The opcodes of the
		// data ops are checked once, by uring.Available.
		b.pool.start(o)
	case b.live >= b.cap:
		b.waiting = append(b.waiting, o)
	default:
		b.push(o)
	}
	b.hold()
}

// push puts o in the submission queue.
func (b *ringBackend) push(o *op) {
	s, err := b.sqe()
	if err != nil {
		// The kernel keeps refusing submissions: the op fails with its
		// errno rather than the loop spinning.
		o.complete(-int32(errnoOf(err)))
		return
	}
	var slot uint32
	if n := len(b.free); n > 0 {
		slot = b.free[n-1]
		b.free = b.free[:n-1]
	} else {
		slot = uint32(len(b.slots))
		b.slots = append(b.slots, nil)
		b.gens = append(b.gens, 0)
	}
	b.gens[slot]++
	b.slots[slot] = o
	o.slot = slot
	b.live++

	off := uint64(o.off)
	if o.off < 0 {
		off = ^uint64(0) // the file position
	}
	buf := o.buf
	if len(buf) > maxIO {
		buf = buf[:maxIO]
	}
	switch o.kind {
	case opRead:
		s.PrepRead(o.fd, buf, off)
	case opWrite:
		s.PrepWrite(o.fd, buf, off)
	case opFsync:
		s.PrepFsync(o.fd, false)
	case opFdatasync:
		s.PrepFsync(o.fd, true)
	}
	s.SetUserData(b.userData(slot))
	if b.r.Queued() >= submitBatch {
		b.submitQueued()
	}
}

// submitBatch is the most entries one io_uring_enter carries: a turn that
// queues more submits them in batches of this size as it goes, the rest
// before the poll. One batch of 32 O_DIRECT reads reaches a virtio disk
// together and comes back together, and the reads then move in lock-step:
// 4 KiB random reads at depth 32 made 26-31k IOPS batched per turn, 34-37k
// in batches of 8 (fio: 37-39k), at the same CPU per read; one
// io_uring_enter per read made the same IOPS for 35 % more CPU
// (docs/fs.md).
const submitBatch = 8

func (b *ringBackend) userData(slot uint32) uint64 {
	return uint64(b.gens[slot])<<32 | uint64(slot)
}

// sqe returns a free submission entry, submitting the queue when it is
// full. If the kernel refuses the submission (out of memory, its
// completion queue full) it takes the completions and tries again, and
// gives up with the error after sqeTries attempts.
func (b *ringBackend) sqe() (*uring.SQE, error) {
	for try := 0; ; try++ {
		if s := b.r.SQE(); s != nil {
			return s, nil
		}
		_, err := ringSubmit(b.r)
		if err == nil {
			continue
		}
		if try == sqeTries {
			return nil, err
		}
		b.reap()
		runtime.Gosched()
	}
}

// ringSubmit submits a ring's queue; tests make it fail.
var ringSubmit = (*uring.Ring).Submit

// sqeTries bounds sqe's attempts.
const sqeTries = 100

// errnoOf is the errno in err, or EIO.
func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}

// cancel asks the kernel to cancel o. One still waiting for room in the
// ring completes at once with ECANCELED; one on the pool cannot be
// cancelled.
func (b *ringBackend) cancel(o *op) {
	if o.done {
		return
	}
	for i, w := range b.waiting {
		if w == o {
			b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
			o.complete(-int32(unix.ECANCELED))
			b.hold()
			return
		}
	}
	if o.slot < uint32(len(b.slots)) && b.slots[o.slot] == o {
		// If no entry can be had, the op is not cancelled: it completes
		// in its own time.
		if s, err := b.sqe(); err == nil {
			s.PrepCancel(b.userData(o.slot), 0)
			s.SetUserData(cancelTag | uint64(o.slot))
		}
	}
}

// submit hands the queued entries to the kernel, once per loop turn, and
// takes the completions that came back inside the call.
func (b *ringBackend) submit() {
	b.submitQueued()
	b.reap()
}

// submitQueued hands the queued entries to the kernel.
func (b *ringBackend) submitQueued() {
	if b.r.Queued() == 0 {
		return
	}
	if _, err := ringSubmit(b.r); err != nil && !b.retry {
		// EAGAIN, EBUSY: resources or a full completion queue. The
		// entries stay queued; take what completed and try again soon,
		// even if nothing else wakes the loop.
		b.retry = true
		b.l.AfterFunc(time.Millisecond, func() { b.retry = false })
	}
}

// reap completes the ops whose completions are in, and starts waiting
// ones in the room they leave.
func (b *ringBackend) reap() {
	if b.r.Reap(b.onCQE) == 0 {
		return
	}
	for len(b.waiting) > 0 && b.live < b.cap {
		o := b.waiting[0]
		b.waiting[0] = nil
		b.waiting = b.waiting[1:]
		b.push(o)
	}
	b.hold()
}

// complete is one completion.
func (b *ringBackend) complete(c uring.CQE) {
	if c.UserData&cancelTag != 0 {
		return
	}
	slot := uint32(c.UserData)
	if slot >= uint32(len(b.slots)) || b.userData(slot) != c.UserData || b.slots[slot] == nil {
		return
	}
	o := b.slots[slot]
	b.slots[slot] = nil
	b.free = append(b.free, slot)
	b.live--
	o.complete(c.Res)
}

// hold takes the eventfd out of the loop's quiet fds while ops are in the
// ring or waiting for it, and puts it back when there are none: the loop
// polls for it, and counts it as a way to wake up, only then. Meanwhile
// the loop blocks its thread when it waits (loopctl.BlockHint): the
// kernel finishes a completion on the thread that submitted it, and a
// loop parked in Go's netpoller would need a second thread woken to hear
// of it (docs/fs.md).
func (b *ringBackend) hold() {
	want := b.live > 0 || len(b.waiting) > 0
	if want != b.active {
		b.active = want
		if want {
			loopctl.Quiet(b.l, -1)
			loopctl.BlockHint(b.l, 1)
		} else {
			loopctl.Quiet(b.l, 1)
			loopctl.BlockHint(b.l, -1)
		}
	}
}

// close runs when the loop closes. Ops still in the ring may be writing
// into their buffers, and closing the ring does not wait for them: cancel
// them all and wait (for at most closeWait) until the kernel has given
// every one back. Their fibers are gone with the loop, so nobody is told.
func (b *ringBackend) close() {
	for slot, o := range b.slots {
		if o != nil {
			s, err := b.sqe()
			if err != nil {
				break // the wait below still reaps what completes
			}
			s.PrepCancel(b.userData(uint32(slot)), 0)
			s.SetUserData(cancelTag | uint64(slot))
		}
	}
	deadline := time.Now().Add(closeWait)
	drop := func(c uring.CQE) {
		slot := uint32(c.UserData)
		if c.UserData&cancelTag == 0 && slot < uint32(len(b.slots)) && b.slots[slot] != nil {
			b.slots[slot] = nil
			b.live--
		}
	}
	for b.live > 0 && time.Now().Before(deadline) {
		if _, err := b.r.SubmitAndWait(1); err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EBUSY) {
			break
		}
		b.r.Reap(drop)
	}
	b.waiting = nil
	b.r.Close() // the poller that watched its eventfd is closed already

	b.pool.close()
}

// closeWait bounds how long a closing loop waits for the kernel to give
// back the buffers of operations in flight.
const closeWait = 10 * time.Second
