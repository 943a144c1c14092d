package poller

import (
	"encoding/binary"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// epoll is the Linux back-end: one epoll set plus an eventfd for Wake.
type epoll struct {
	epfd int
	efd  int // eventfd, registered edge-triggered for EPOLLIN

	reg registry
	w   waker

	// Loop-goroutine scratch, kept here so no call allocates.
	waiting bool // inside Wait's dispatch loop
	ts      unix.Timespec
	ctl     unix.EpollEvent
	drain   [8]byte
	events  [batchSize]unix.EpollEvent
	gens    [batchSize]uint32

	one [8]byte // eventfd increment, read-only after newEpoll
}

func newEpoll() (*epoll, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &epoll{epfd: epfd, efd: efd}
	binary.NativeEndian.PutUint64(p.one[:], 1)
	// Edge-triggered like every other fd: each write to an eventfd is a
	// new edge even if the counter was already non-zero, and Wait drains
	// it anyway so the counter never creeps towards its limit.
	p.ctl = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &p.ctl); err != nil {
		unix.Close(efd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return p, nil
}

func (p *epoll) Add(fd int, ev Events, h Handler) error {
	if h == nil {
		panic("poller: Add with a nil Handler")
	}
	if p.w.closed.Load() {
		return errClosed
	}
	switch {
	case fd < 0:
		return os.NewSyscallError("epoll_ctl", unix.EBADF)
	case ev&interest == 0:
		return os.NewSyscallError("epoll_ctl", unix.EINVAL)
	case p.reg.registered(fd):
		// The kernel would say the same, but only for as long as the old
		// file is open; the table is the authority on what was added.
		return os.NewSyscallError("epoll_ctl", unix.EEXIST)
	}
	p.ctl = unix.EpollEvent{Events: toEpoll(ev), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &p.ctl); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.reg.add(fd, ev&interest, h)
	return nil
}

func (p *epoll) Remove(fd int) error {
	if p.w.closed.Load() {
		return errClosed
	}
	if _, ok := p.reg.remove(fd); !ok {
		return os.NewSyscallError("epoll_ctl", unix.ENOENT)
	}
	// A non-nil event keeps kernels before 2.6.9 happy; it is ignored.
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &p.ctl); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *epoll) Wait(timeout time.Duration, dispatch func(h Handler, ev Events)) (int, error) {
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
		var err error
		n, err = epollWait(p.epfd, p.events[:], remaining(timeout, start), &p.ts)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
	}

	// Record generations before any handler runs: from here on, handlers
	// may Remove, close and re-Add fds that have events further down the
	// batch. The wake event is consumed here too, so nothing a handler does
	// (not even Close) can race with the drain; it is then skipped below
	// because efd is never in the table.
	for i := range n {
		fd := int(p.events[i].Fd)
		if fd == p.efd {
			p.drainWake()
		}
		p.gens[i] = p.reg.gen(fd)
	}

	p.waiting = true
	defer func() { p.waiting = false }()
	dispatched := 0
	for i := range n {
		e := &p.events[i]
		h := p.reg.handler(int(e.Fd), p.gens[i])
		if h == nil {
			continue // the wake event, or stale
		}
		if dispatch == nil {
			h.Ready(fromEpoll(e.Events))
		} else {
			dispatch(h, fromEpoll(e.Events))
		}
		dispatched++
	}
	return dispatched, nil
}

// drainWake empties the eventfd and only then re-opens the door for the
// next Wake write (see waker.pending).
func (p *epoll) drainWake() {
	for {
		// One read returns and resets the whole counter; EAGAIN means a
		// previous Wait already took it.
		if _, err := unix.Read(p.efd, p.drain[:]); err != unix.EINTR {
			break
		}
	}
	p.w.pending.Store(false)
}

func (p *epoll) Wake() error {
	write, err := p.w.begin()
	if !write {
		return err
	}
	for {
		p.w.writes.Add(1)
		_, err = unix.Write(p.efd, p.one[:])
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EAGAIN {
		err = nil // counter saturated: the loop has a wake-up pending anyway
	}
	if err != nil {
		err = os.NewSyscallError("write", err)
	}
	p.w.end(err)
	return err
}

func (p *epoll) Close() error {
	if !p.w.close() {
		return errClosed
	}
	// close(2) is not retried on EINTR: Linux releases the fd regardless,
	// and a retry could close a number someone else just received.
	errE := unix.Close(p.efd)
	errP := unix.Close(p.epfd)
	p.w.mu.Unlock()
	p.reg = registry{}
	if errE != nil {
		return os.NewSyscallError("close", errE)
	}
	if errP != nil {
		return os.NewSyscallError("close", errP)
	}
	return nil
}

func (p *epoll) wakeState() *waker { return &p.w }

// toEpoll returns the epoll interest for ev. EPOLLRDHUP is always asked for
// so that a half-close is reported as HangUp, not just as a readable EOF.
func toEpoll(ev Events) uint32 {
	e := uint32(unix.EPOLLRDHUP | unix.EPOLLET)
	if ev&Readable != 0 {
		e |= unix.EPOLLIN
	}
	if ev&Writable != 0 {
		e |= unix.EPOLLOUT
	}
	return e
}

func fromEpoll(e uint32) Events {
	var ev Events
	if e&unix.EPOLLIN != 0 {
		ev |= Readable
	}
	if e&unix.EPOLLOUT != 0 {
		ev |= Writable
	}
	if e&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		ev |= HangUp
	}
	if e&unix.EPOLLERR != 0 {
		ev |= Error
	}
	return ev
}
