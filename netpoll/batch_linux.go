//go:build linux

package netpoll

import (
	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/loop"
)

// A batcher makes the reads and writes of a loop's connections, on both
// faces, through an io_uring, many to one io_uring_enter, instead of a
// read(2) and a write(2) each (WithIOUring; docs/netpoll.md).
//
// It is not a proactor: readiness still comes from the loop's poller, and
// every operation is a recv or send with MSG_DONTWAIT on a socket that is
// ready, which the kernel finishes inside the io_uring_enter that submits
// it (-EAGAIN if the socket turned out not to be). So a cycle submits its
// batch and collects every completion in one system call, and nothing is
// ever in flight between cycles: buffers are free again, fds may close,
// and no eventfd is needed.
//
// Readable connections join a queue (an EventConn's readSome, or a Conn
// whose fiber waits in Read, into whose buffer the recv then goes); a
// small Write on the loop copies its bytes into the batcher's arena
// (send). The batcher is a loop Job: each cycle sends what is pending and
// reads up to recvSlots connections, then delivers what was read (to
// OnData, or to the waiting fiber), whose writes go to the next cycle. It
// runs cycles until nothing is left, maxCycles at a time. Loop goroutine
// only.
type batcher struct {
	r      *uring.Ring
	l      *loop.Loop
	queued bool // the job is on the loop's ready queue, or running
	closed bool

	reads []batchee // reads[rh:] wait for a recv, first in first out
	rh    int
	slots [recvSlots]struct {
		c   batchee
		buf []byte // the slot's own buffer, made on first use
		in  []byte // the buffer of this cycle's recv: buf, or a fiber's
	}

	sends []sendEntry // at most maxSends
	arena []byte      // the bytes of sends
	cqes  []uring.CQE // one cycle's completions

	// Counts, for tests: cycles (io_uring_enter calls), recvs made (into
	// fibers' buffers among them), sends made.
	cycles, recvs, fiberRecvs, sent uint64
}

// A sendEntry is the bytes a connection wrote this cycle: arena[off:off+n].
type sendEntry struct {
	c      batchee
	off, n int
}

const (
	ringEntries = 512                     // the SQ holds a whole cycle: recvSlots recvs and maxSends sends
	recvSlots   = 32                      // recvs per cycle
	recvSize    = 16 << 10                // bytes per recv
	maxSends    = ringEntries - recvSlots // sends per cycle; a Write past them goes straight to the kernel
	// batchMax bounds the bytes a connection has in one cycle's batch:
	// past it a write goes straight to the kernel (after settle). It is a
	// chosen bound, not a measured crossover: batching 16 KiB writes
	// (with no hand-off to plain reads either) had made streaming cost
	// 1.3× and 4× net's CPU per GB (docs/benchmarks.md). arenaMax bounds
	// the arena.
	batchMax  = 4 << 10
	arenaMax  = 256 << 10
	readsKeep = 4096 // entries of the read queue kept once drained
	maxCycles = 16   // cycles per run of the job, so timers and tasks get their turn

	// User data: the slot or send index, with sendTag for a send.
	sendTag = 1 << 32
)

// newBatcher makes l's batcher, or returns nil if the kernel has no
// io_uring with send and recv (or it is turned off).
func newBatcher(l *loop.Loop) *batcher {
	r, err := uring.New(uring.Config{Entries: ringEntries, CQEntries: 2 * ringEntries, NoEventFD: true})
	if err != nil {
		return nil
	}
	if !r.Supports(uring.OpSend) || !r.Supports(uring.OpRecv) {
		r.Close()
		return nil
	}
	return &batcher{r: r, l: l}
}

// close releases the ring. Nothing is in flight between cycles, and the
// loop's sockets are gone by now (stateOf), so nothing is lost; a run of
// the job still queued does nothing.
func (b *batcher) close() {
	b.closed = true
	_ = b.r.Close()
}

func (b *batcher) schedule() {
	if !b.queued {
		b.queued = true
		b.l.ScheduleJob(b)
	}
}

// read queues c for a recv in the next cycle.
func (b *batcher) read(c batchee) {
	if q := c.readQueued(); !*q {
		*q = true
		b.reads = append(b.reads, c)
		b.schedule()
	}
}

// send takes p for c, to be sent in the next cycle, and reports whether it
// did: it does not when c's bytes in the batch would pass batchMax, or the
// batch is full (the caller then writes p itself, after settle).
func (b *batcher) send(c batchee, p []byte) bool {
	if len(p) > batchMax || len(b.arena)+len(p) > arenaMax {
		return false
	}
	s := c.sk()
	if s.sendAt != 0 {
		e := &b.sends[s.sendAt-1]
		if e.n+len(p) > batchMax {
			return false
		}
		if e.off+e.n == len(b.arena) { // the last bytes in the arena: extend
			b.arena = append(b.arena, p...)
			e.n += len(p)
			return true
		}
		// Move c's bytes to the end, then add p.
		off := len(b.arena)
		b.arena = append(b.arena, b.arena[e.off:e.off+e.n]...)
		b.arena = append(b.arena, p...)
		e.off, e.n = off, e.n+len(p)
		return true
	}
	if len(b.sends) == maxSends {
		return false
	}
	b.sends = append(b.sends, sendEntry{c: c, off: len(b.arena), n: len(p)})
	b.arena = append(b.arena, p...)
	s.sendAt = int32(len(b.sends))
	b.schedule()
	return true
}

// take removes s's entry from the batch and returns its bytes, which stay
// valid until the next cycle.
func (b *batcher) take(s *sock) []byte {
	e := &b.sends[s.sendAt-1]
	e.c, s.sendAt = nil, 0
	return b.arena[e.off : e.off+e.n]
}

// pendingLen returns how many bytes s has in the batch.
func (b *batcher) pendingLen(s *sock) int { return b.sends[s.sendAt-1].n }

// Run is the job: cycles until nothing is left, or maxCycles.
func (b *batcher) Run() {
	if b.closed {
		return
	}
	for range maxCycles {
		if len(b.sends) == 0 && b.rh == len(b.reads) {
			break
		}
		b.cycle()
	}
	b.queued = false
	if len(b.sends) > 0 || b.rh < len(b.reads) {
		b.schedule()
	}
}

// cycle submits the pending sends and up to recvSlots recvs in one
// io_uring_enter, then settles the sends and delivers what was read.
func (b *batcher) cycle() {
	n := b.prepSends()
	slots := b.prepRecvs()
	b.compactReads()
	if n+slots == 0 {
		b.resetSends()
		return
	}
	b.cycles++
	b.recvs += uint64(slots)
	b.sent += uint64(n)
	b.submit()
	b.takeSends()
	b.deliver(slots)
}

// prepSends prepares a send for every entry in the batch and returns how
// many.
func (b *batcher) prepSends() int {
	n := 0
	for i := range b.sends {
		e := &b.sends[i]
		if e.c == nil {
			continue // taken (settle) or dropped (release)
		}
		sqe := b.r.SQE()
		sqe.PrepSend(e.c.sk().fd, b.arena[e.off:e.off+e.n], unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		sqe.SetUserData(sendTag | uint64(i))
		n++
	}
	return n
}

// prepRecvs prepares recvs for up to recvSlots queued connections that
// still want one, each into a slot, and returns how many.
func (b *batcher) prepRecvs() int {
	slots := 0
	for b.rh < len(b.reads) && slots < recvSlots {
		c := b.reads[b.rh]
		b.reads[b.rh] = nil
		b.rh++
		if !c.wantsRead() {
			*c.readQueued() = false
			c.skipRead()
			continue
		}
		s := &b.slots[slots]
		s.c, s.in = c, c.recvBuf()
		if s.in == nil {
			if s.buf == nil {
				// Made on first use: a loop of fibers, which read into
				// their own buffers, never needs them, and half a
				// megabyte of buffers in the heap would let the garbage
				// collector's goal grow by as much again.
				s.buf = make([]byte, recvSize)
			}
			s.in = s.buf
		} else {
			b.fiberRecvs++
		}
		sqe := b.r.SQE()
		sqe.PrepRecv(c.sk().fd, s.in, unix.MSG_DONTWAIT)
		sqe.SetUserData(uint64(slots))
		slots++
	}
	return slots
}

// submit makes the system call and collects the completions in cqes.
// Every operation finishes inside the call that submits it (MSG_DONTWAIT),
// and its completion is posted before the call returns: the submission
// needs no wait, and since nothing in it sleeps, the runtime need not hear
// of it (SubmitNoSleep). If the kernel refused part of the batch (short of
// memory: EAGAIN), what it did not take is withdrawn, and takeSends and
// deliver do it the plain way.
func (b *batcher) submit() {
	submitted, err := b.r.SubmitNoSleep()
	if err != nil {
		b.r.Withdraw()
	}
	b.cqes = b.cqes[:0]
	b.r.Reap(func(c uring.CQE) { b.cqes = append(b.cqes, c) })
	if len(b.cqes) < submitted {
		// Not expected: an operation went asynchronous after all. Wait
		// for it rather than reuse its buffer under it, or make it again.
		if _, err := b.r.SubmitAndWait(uint32(submitted - len(b.cqes))); err == nil {
			b.r.Reap(func(c uring.CQE) { b.cqes = append(b.cqes, c) })
		}
	}
}

// takeSends gives each send's result to its connection, then empties the
// batch, before any OnData writes again. sent runs no handler code
// (batchee), so nothing adds to or takes from the batch meanwhile.
func (b *batcher) takeSends() {
	for _, q := range b.cqes {
		if q.UserData&sendTag != 0 {
			b.sendDone(&b.sends[q.UserData&^sendTag], q.Res)
		}
	}
	for i := range b.sends { // withdrawn: written the plain way
		b.sendDone(&b.sends[i], notSubmitted)
	}
	b.resetSends()
}

// sendDone gives entry e's connection, if it still has one, its result.
func (b *batcher) sendDone(e *sendEntry, res int32) {
	if c := e.c; c != nil {
		e.c, c.sk().sendAt = nil, 0
		c.sent(b.arena[e.off:e.off+e.n], res)
	}
}

// deliver gives each recv's result to its connection: OnData, or the
// fiber waiting in Read. The first slots were used.
func (b *batcher) deliver(slots int) {
	for _, q := range b.cqes {
		if q.UserData&sendTag == 0 {
			b.recvDone(int(q.UserData), q.Res)
		}
	}
	for i := range slots { // withdrawn: read the plain way
		b.recvDone(i, notSubmitted)
	}
}

// recvDone gives slot i's connection, if it still has one, its result.
func (b *batcher) recvDone(i int, res int32) {
	s := &b.slots[i]
	if c := s.c; c != nil {
		in := s.in
		s.c, s.in = nil, nil
		*c.readQueued() = false
		c.received(in, res)
	}
}

// compactReads reuses the read queue's array: from the start once
// drained (dropped if it grew past readsKeep), or with the rest moved
// down once most of it is taken. The queue then makes no garbage in the
// steady state.
func (b *batcher) compactReads() {
	switch {
	case b.rh == len(b.reads):
		b.reads, b.rh = b.reads[:0], 0
		if cap(b.reads) > readsKeep {
			b.reads = nil
		}
	case b.rh > len(b.reads)/2:
		n := copy(b.reads, b.reads[b.rh:])
		clear(b.reads[n:])
		b.reads, b.rh = b.reads[:n], 0
	}
}

// resetSends empties the batch; an arena grown past arenaMax goes.
func (b *batcher) resetSends() {
	clear(b.sends)
	b.sends = b.sends[:0]
	if cap(b.arena) > arenaMax {
		b.arena = nil
	}
	b.arena = b.arena[:0]
}
