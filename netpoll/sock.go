//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/timer"
)

// sock is what both faces of a stream connection share: the fd on its
// loop, what the kernel last said about it, and the write queue. Loop
// goroutine only.
//
// The write queue: a write goes straight to the kernel while nothing is
// queued (write-through); what the kernel does not take is copied into
// out, which drains on write readiness. A write that would take out past
// the high watermark is refused (callback face) or waits in pending
// (fiber face and writes from other goroutines) until out drains to the
// low watermark; pending is served first in, first out, so writes keep
// their order.
type sock struct {
	fd       int
	l        *loop.Loop
	o        *options
	out      []byte // queued bytes are out[head:]
	head     int
	pending  []*writeReq
	addrs    *[2]net.Addr // local, remote; looked up on first use
	x        *sockExtra   // made on first use
	ls       *loopState
	at       int32 // index in ls.socks
	sendAt   int32 // 1 + the index of its bytes in ls.bat's sends, or 0 (settle)
	family   uint8
	canRead  bool // the last read did not see EAGAIN
	hup      bool // the peer shut its side: reads go on to EOF
	canWrite bool // the last write did not see EAGAIN
	closed   bool // Close was called (or the conn failed): user calls fail
	gone     bool // the fd is closed
	wrShut   bool // CloseWrite was called (or Close with a queue draining)
	paused   bool // reading paused: out is over the high watermark
}

// sockExtra is what few sockets need, kept out of line so that an idle
// connection does not pay for it: the linger timer of a close that waits
// for its queue to drain, and a fiber-face connection's deadlines.
type sockExtra struct {
	lingerT    timer.Timer
	rdl, wdl   deadline
	rawWriters []fiber.Waiter // fibers parked in RawConn.Write (rawconn.go)
}

// extra returns s's extras, making them the first time.
func (s *sock) extra() *sockExtra {
	if s.x == nil {
		s.x = new(sockExtra)
	}
	return s.x
}

// A writeReq is a write waiting for room in the queue: a fiber's (wake
// the fiber) or another goroutine's (send on done).
type writeReq struct {
	b      []byte
	n      int // accepted so far
	err    error
	done   chan *writeReq // for a goroutine; nil for a fiber
	fw     fiber.Waiter   // for a fiber
	active bool           // still waiting
}

// init sets s up for a connected fd and registers it on l with h as the
// readiness handler. Loop goroutine only.
func (s *sock) init(l *loop.Loop, h interface {
	poller.Handler
	owned
}, fd, family int, o *options) error {
	*s = sock{fd: fd, l: l, o: o, family: uint8(family), canRead: true, canWrite: true, ls: stateOf(l)}
	if err := l.Register(fd, poller.Readable|poller.Writable, h); err != nil {
		return err
	}
	s.ls.add(h)
	if o.ioUring {
		s.ls.batcher(l) // made with the loop's first socket that wants it
	}
	return nil
}

// batching reports whether s reads and writes through its loop's batcher
// (WithIOUring, where the loop could make one).
func (s *sock) batching() bool { return s.o.ioUring && s.ls.bat != nil }

func (s *sock) index() *int32 { return &s.at }

// readable records a readiness event for reading. A short read usually
// means the socket is drained and the next data brings a new edge, so
// readers skip the EAGAIN read; but the peer's FIN may have come with the
// last data, in the same edge, so once the peer has hung up reads go on
// until they see EOF.
func (s *sock) readable(ev poller.Events) {
	s.canRead = true
	if ev&poller.HangUp != 0 {
		s.hup = true
	}
}

// shortRead records a read that returned fewer bytes than asked.
func (s *sock) shortRead() {
	if !s.hup {
		s.canRead = false
	}
}

// queued counts the bytes accepted and not yet sent: the queue, and a
// batched Write's (settle).
func (s *sock) queued() int {
	n := len(s.out) - s.head
	if s.sendAt != 0 {
		n += s.ls.bat.pendingLen(s)
	}
	return n
}

// settle writes the bytes a batched Write left in the loop's batcher
// (EventConn.Write under WithIOUring) the plain way, written through and
// the rest queued, as if that Write had done so: the queue then holds all
// that is unsent. Every path that works on the queue calls it first,
// except a batched Write itself.
func (s *sock) settle() error {
	if s.sendAt == 0 {
		return nil
	}
	_, err := s.offer(s.ls.bat.take(s), true)
	return err
}

// opErr wraps err as package net does, so errors.Is works with
// net.ErrClosed and os.ErrDeadlineExceeded and Timeout() with deadlines.
// Off the loop it leaves the addresses out: they are loop state. Errors
// for other goroutines are therefore made on the loop (finishReq).
func (s *sock) opErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var la, ra net.Addr
	if s.l.OnLoop() { // the addresses are the loop's to look up
		la, ra = s.addrPair()
	}
	if op == "dial" || op == "accept" {
		la = nil
	}
	return &net.OpError{Op: op, Net: s.network(), Source: la, Addr: ra, Err: err}
}

func (s *sock) network() string {
	if s.family == unix.AF_UNIX {
		return "unix"
	}
	return "tcp"
}

// addrPair returns the local and remote addresses, asking the kernel once.
func (s *sock) addrPair() (net.Addr, net.Addr) {
	if s.addrs == nil {
		if s.gone {
			return nil, nil
		}
		a := new([2]net.Addr)
		if sa, err := unix.Getsockname(s.fd); err == nil {
			a[0] = addrOf(s.network(), sa)
		}
		if sa, err := unix.Getpeername(s.fd); err == nil {
			a[1] = addrOf(s.network(), sa)
		}
		s.addrs = a
	}
	return s.addrs[0], s.addrs[1]
}

// writeThrough writes b to the kernel while it takes it, and returns how
// much it took.
func (s *sock) writeThrough(b []byte) (int, error) {
	n := 0
	for n < len(b) && s.canWrite {
		w, err := unix.Write(s.fd, b[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			s.canWrite = false
		case err != nil:
			return n, os.NewSyscallError("write", err)
		default:
			n += w
			if n < len(b) {
				s.canWrite = false // the socket buffer is full: wait for an edge
			}
		}
	}
	return n, nil
}

// offer accepts what it can of b without waiting: written through if
// nothing is queued, the rest queued. With all set it queues the whole
// rest (the callback face: one write may overshoot the high mark);
// otherwise only up to the high mark.
func (s *sock) offer(b []byte, all bool) (int, error) {
	n := 0
	if s.queued() == 0 {
		w, err := s.writeThrough(b)
		if err != nil {
			return w, err
		}
		n = w
	}
	rest := len(b) - n
	if rest == 0 {
		return n, nil
	}
	if !all {
		rest = min(rest, s.o.highWater-s.queued())
	}
	if rest > 0 {
		if s.head > 0 && s.head >= len(s.out)/2 {
			s.out = s.out[:copy(s.out, s.out[s.head:])]
			s.head = 0
		}
		s.out = append(s.out, b[n:n+rest]...)
		n += rest
	}
	return n, nil
}

// full reports whether a new write must wait: the queue is at the high
// mark, or earlier writes are waiting.
func (s *sock) full() bool { return s.queued() >= s.o.highWater || len(s.pending) > 0 }

// flush writes the queue out while the kernel takes it; when the queue is
// at or below the low mark it serves the pending writes. It returns an
// error if the connection failed.
func (s *sock) flush() error {
	if err := s.settle(); err != nil {
		return err
	}
	for s.queued() > 0 && s.canWrite {
		w, err := s.writeThrough(s.out[s.head:])
		s.head += w
		if err != nil {
			return err
		}
	}
	if s.queued() == 0 {
		s.out, s.head = nil, 0 // an idle connection holds no buffer
	}
	if s.queued() <= s.o.lowWater {
		for len(s.pending) > 0 {
			r := s.pending[0]
			if r.active {
				n, err := s.offer(r.b[r.n:], false)
				r.n += n
				if err != nil {
					return err
				}
				if r.n < len(r.b) {
					break
				}
				s.finishReq(r, nil)
			}
			s.pending[0] = nil
			s.pending = s.pending[1:]
		}
		if len(s.pending) == 0 {
			s.pending = nil
		}
	}
	return nil
}

// drain writes the queue out on write readiness, serves the pending
// writes, and ends a graceful close or a CloseWrite once the queue is
// empty. An error means the connection is broken.
func (s *sock) drain() error {
	if err := s.flush(); err != nil {
		return err
	}
	if !s.wrShut || s.queued() > 0 {
		return nil
	}
	if s.closed {
		s.release(false)
		return nil
	}
	return s.shutdownWrite()
}

// A face is a stream connection's face as the shared write path sees it.
type face interface {
	writeCheck() error     // why a write cannot start, or nil
	writeFailed(err error) // the kernel refused a write: the connection is broken
	waiting()              // a write waits in pending
}

// tryWrite is a write's first attempt, on the loop: it checks that a
// write may start, writes through and queues up to the high mark, unless
// earlier writes wait. It returns how much of b was taken, and whether
// the write is over: taken whole, or failed with err (the connection is
// then broken, f told). A write that is not over must wait in pending.
func (s *sock) tryWrite(f face, b []byte) (n int, over bool, err error) {
	if err := f.writeCheck(); err != nil {
		return 0, true, err
	}
	if err := s.settle(); err != nil {
		f.writeFailed(err)
		return 0, true, err
	}
	if s.full() {
		return 0, false, nil
	}
	if n, err = s.offer(b, false); err != nil {
		f.writeFailed(err)
		return n, true, err
	}
	return n, n == len(b), nil
}

// writeRemote is a Write from a goroutine outside the loop, on either
// face: the data goes to the loop by Post, in order, and the goroutine
// waits until it is accepted; what does not fit joins the pending writes.
// Nothing is copied: b is the caller's until it returns.
func (s *sock) writeRemote(f face, b []byte) (int, error) {
	r := &writeReq{b: b, done: make(chan *writeReq, 1), active: true}
	if err := s.l.Post(func() {
		n, over, err := s.tryWrite(f, r.b)
		r.n = n
		if over {
			s.finishReq(r, err)
			return
		}
		f.waiting()
		s.pending = append(s.pending, r)
	}); err != nil {
		return 0, s.opErr("write", net.ErrClosed)
	}
	<-r.done
	return r.n, r.err
}

// finishReq ends a pending write with err.
func (s *sock) finishReq(r *writeReq, err error) {
	if !r.active {
		return
	}
	r.active = false
	r.err = err
	if r.done != nil {
		if _, ok := err.(*net.OpError); !ok {
			r.err = s.opErr("write", err) // here, with the addresses
		}
		r.done <- r
	} else {
		r.fw.Wake()
	}
}

// failPending ends every pending write with err.
func (s *sock) failPending(err error) {
	for _, r := range s.pending {
		s.finishReq(r, err)
	}
	s.pending = nil
}

// shutdownWrite sends FIN once the queue is empty.
func (s *sock) shutdownWrite() error {
	if err := s.settle(); err != nil {
		return err
	}
	if s.gone || s.queued() > 0 {
		return nil
	}
	if err := unix.Shutdown(s.fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}

// release unregisters and closes the fd, resetting the connection if
// reset is set (SO_LINGER 0: RST instead of FIN, unsent data dropped).
func (s *sock) release(reset bool) {
	if s.gone {
		return
	}
	s.gone = true
	if s.sendAt != 0 {
		s.ls.bat.take(s) // dropped, as the queue is
	}
	if s.x != nil {
		s.x.lingerT.Stop()
	}
	s.ls.removeAt(s.at)
	_ = s.l.Unregister(s.fd)
	if reset {
		_ = unix.SetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	_ = unix.Close(s.fd)
	s.out, s.head = nil, 0
}

// closeGracefully closes the fd once the queue has drained, within the
// linger time.
func (s *sock) closeGracefully() {
	if s.settle() != nil {
		s.release(true)
		return
	}
	if s.queued() == 0 || s.o.linger == 0 {
		s.release(s.queued() > 0)
		return
	}
	s.wrShut = true
	s.extra().lingerT = s.l.AfterFunc(s.o.linger, func() { s.release(true) })
}
