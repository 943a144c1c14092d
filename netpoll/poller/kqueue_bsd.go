//go:build darwin || freebsd || netbsd || openbsd

package poller

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// New returns a kqueue poller.
func New() (Poller, error) {
	return newKqueue()
}

// NewBlocking returns a kqueue poller, as New does: kqueue always blocks
// its thread in kevent.
func NewBlocking() (Poller, error) {
	return newKqueue()
}

// kqueue is the BSD and macOS back-end: one kqueue plus a non-blocking pipe
// for Wake.
//
// Why a pipe and not EVFILT_USER: EVFILT_USER would save two fds and the
// drain read, but x/sys defines it only for darwin and freebsd, and this
// code cannot run in the project's Linux CI, only compile. One wake path for
// all four systems keeps the untested surface small; the coalescing flag
// already limits the pipe to one byte per loop turn.
type kqueue struct {
	kq     int
	wr, ww int // wake pipe: read end registered, write end written by Wake

	reg registry
	w   waker

	// Loop-goroutine scratch, kept here so no call allocates.
	waiting bool // inside Wait's dispatch loop
	ts      unix.Timespec
	changes [2]unix.Kevent_t
	drain   [16]byte
	events  [batchSize]unix.Kevent_t
	gens    [batchSize]uint32

	one [1]byte // what Wake writes, read-only after newKqueue
}

func newKqueue() (*kqueue, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	// kqueue(2) has no CLOEXEC flag on every BSD; a kqueue is not
	// inherited across fork, but it would survive a bare exec.
	unix.CloseOnExec(kq)
	r, w, err := wakePipe()
	if err != nil {
		unix.Close(kq)
		return nil, os.NewSyscallError("pipe", err)
	}
	p := &kqueue{kq: kq, wr: r, ww: w, one: [1]byte{1}}
	unix.SetKevent(&p.changes[0], r, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	if err := p.change(p.changes[:1]); err != nil {
		unix.Close(r)
		unix.Close(w)
		unix.Close(kq)
		return nil, os.NewSyscallError("kevent", err)
	}
	return p, nil
}

// change applies a change list, retrying EINTR.
func (p *kqueue) change(changes []unix.Kevent_t) error {
	for {
		_, err := unix.Kevent(p.kq, changes, nil, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// filters fills p.changes with one kevent per filter in ev and returns them.
func (p *kqueue) filters(fd int, ev Events, flags int) []unix.Kevent_t {
	n := 0
	if ev&Readable != 0 {
		unix.SetKevent(&p.changes[n], fd, unix.EVFILT_READ, flags)
		n++
	}
	if ev&Writable != 0 {
		unix.SetKevent(&p.changes[n], fd, unix.EVFILT_WRITE, flags)
		n++
	}
	return p.changes[:n]
}

func (p *kqueue) Add(fd int, ev Events, h Handler) error {
	if err := p.reg.checkAdd(&p.w, fd, ev, h, "kevent"); err != nil {
		return err
	}
	ev &= interest
	if err := p.change(p.filters(fd, ev, unix.EV_ADD|unix.EV_CLEAR)); err != nil {
		// The first filter may have been added before the second failed;
		// undo it so a failed Add leaves nothing behind.
		_ = p.change(p.filters(fd, ev, unix.EV_DELETE))
		return os.NewSyscallError("kevent", err)
	}
	p.reg.add(fd, ev, h)
	return nil
}

func (p *kqueue) Remove(fd int) error {
	ev, err := p.reg.checkRemove(&p.w, fd, "kevent")
	if err != nil {
		return err
	}
	if err := p.change(p.filters(fd, ev, unix.EV_DELETE)); err != nil {
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

func (p *kqueue) Wait(timeout time.Duration, dispatch func(h Handler, ev Events)) (int, error) {
	if p.w.closed.Load() {
		return 0, errClosed
	}
	if p.waiting {
		panic("poller: Wait called from inside dispatch")
	}
	var start time.Time
	if timeout > 0 {
		start = time.Now()
	}
	var n int
	for {
		var tsp *unix.Timespec
		if t := remaining(timeout, start); t >= 0 {
			p.ts = unix.NsecToTimespec(int64(t))
			tsp = &p.ts
		}
		var err error
		n, err = unix.Kevent(p.kq, nil, p.events[:], tsp)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("kevent", err)
		}
	}

	// As on epoll: generations first, wake drained before any handler
	// runs, and the wake pipe is skipped below because it is never in the
	// table.
	for i := range n {
		fd := int(p.events[i].Ident)
		if fd == p.wr && p.events[i].Filter == unix.EVFILT_READ {
			p.drainWake()
		}
		p.gens[i] = p.reg.gen(fd)
	}

	p.waiting = true
	defer func() { p.waiting = false }()
	dispatched := 0
	for i := range n {
		e := &p.events[i]
		h := p.reg.handler(int(e.Ident), p.gens[i])
		if h == nil {
			continue // the wake event, or stale
		}
		// One kevent per filter: an fd both readable and writable is
		// dispatched twice, once per condition.
		var ev Events
		switch e.Filter {
		case unix.EVFILT_READ:
			ev = Readable
		case unix.EVFILT_WRITE:
			ev = Writable
		}
		if e.Flags&unix.EV_EOF != 0 {
			ev |= HangUp
		}
		if e.Flags&unix.EV_ERROR != 0 {
			ev |= Error
		}
		if dispatch == nil {
			h.Ready(ev)
		} else {
			dispatch(h, ev)
		}
		dispatched++
	}
	return dispatched, nil
}

// drainWake empties the pipe and only then re-opens the door for the next
// Wake write (see waker.pending).
func (p *kqueue) drainWake() {
	for {
		n, err := unix.Read(p.wr, p.drain[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n < len(p.drain) {
			break // EAGAIN or a short read: empty
		}
	}
	p.w.pending.Store(false)
}

func (p *kqueue) Wake() error {
	write, err := p.w.begin()
	if !write {
		return err
	}
	for {
		p.w.writes.Add(1)
		_, err = unix.Write(p.ww, p.one[:])
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EAGAIN {
		err = nil // pipe full: the loop has a wake-up pending anyway
	}
	if err != nil {
		err = os.NewSyscallError("write", err)
	}
	p.w.end(err)
	return err
}

func (p *kqueue) Close() error {
	if !p.w.close() {
		return errClosed
	}
	// close(2) is not retried on EINTR: the fd state is unspecified
	// afterwards and a retry could close a number someone else received.
	errs := [3]error{unix.Close(p.ww), unix.Close(p.wr), unix.Close(p.kq)}
	p.w.mu.Unlock()
	p.reg = registry{}
	for _, err := range errs {
		if err != nil {
			return os.NewSyscallError("close", err)
		}
	}
	return nil
}

func (p *kqueue) wakeState() *waker { return &p.w }
