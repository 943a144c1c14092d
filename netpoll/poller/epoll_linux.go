package poller

import (
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// epoll is the Linux back-end: one epoll set, parked in Go's own netpoller.
//
// Parking. The epoll fd is non-blocking and handed to the Go runtime
// (os.NewFile registers it in the runtime's epoll; an epoll fd is readable
// while its ready list is not empty). A blocking Wait does not block its
// thread in epoll_wait: it calls SyscallConn().Read with a function that
// polls our set without blocking, and the runtime parks the goroutine until
// the set has events. An idle loop therefore holds no OS thread, and waking
// it is a goroutine wake-up, not a thread wake-up (docs/poller.md).
//
// Wake. While parked, Wait is woken without any syscall: Wake sets the read
// deadline of the epoll file to the past, which makes the runtime ready the
// parked goroutine at once (onto the waker's P, like a channel send). A
// deadline set while Wait is not parked makes the next Wait return at once.
//
// Timeouts. A positive timeout arms a timerfd in the set (CLOCK_MONOTONIC,
// no timer slack), so a timed Wait parks as well and still has the
// kernel's precision; the Go runtime's own timers count whole milliseconds.
// The timerfd stays armed when Wait returns early: the next Wait with the
// same deadline (the loop's next timer, typically) costs no syscall, and a
// stale expiry is drained and ignored.
//
// If any of this is unavailable (os.NewFile could not register the fd, no
// timerfd), the poller falls back to blocking epoll_wait/epoll_pwait2 with
// an eventfd for Wake, as before.
type epoll struct {
	epfd int
	efd  int // eventfd for Wake, fallback mode only; else -1
	tfd  int // timerfd for timeouts, park mode only; else -1

	park   bool
	hint   bool            // BlockHint: block the thread even in park mode
	inBlk  atomic.Bool     // a park-mode poller is blocked in epoll_wait (hint)
	file   *os.File        // owns epfd in park mode
	rc     syscall.RawConn // file's
	tryFn  func(uintptr) bool
	n      int       // result of the last try
	err    error     // error of the last try
	timed  bool      // the Wait in progress has a deadline
	dl     time.Time // its deadline
	armed  bool      // the timerfd is armed ...
	armDl  time.Time // ... to expire at armDl
	its    unix.ItimerSpec
	drain8 [8]byte

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

// parkOff disables parking for pollers made from now on: an escape hatch
// (WEFT_POLLER_PARK=0), and set by the millisecond-fallback test hook,
// since a parked poller never calls epoll_pwait2.
var parkOff atomic.Bool

func init() { parkOff.Store(os.Getenv("WEFT_POLLER_PARK") == "0") }

// armPad is added to the deadline when the timerfd is armed, so that the
// loop asking again for the same timer (a deadline a few hundred ns away
// from the armed one, because the loop's clock and ours are read at
// different moments) finds the armed expiry in [dl, dl+armTolerance] and
// does not re-arm.
const (
	armPad       = 1 * time.Microsecond
	armTolerance = 5 * time.Microsecond
)

// newEpoll makes a poller, in park mode if park is set and this process
// can have one.
func newEpoll(park bool) (*epoll, error) {
	if park && !noPwait2.Load() {
		if p := newParkedEpoll(); p != nil {
			return p, nil
		}
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &epoll{epfd: epfd, efd: efd, tfd: -1}
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

// newParkedEpoll makes a poller in park mode, or returns nil (having
// released whatever it opened) if this process or kernel cannot have one;
// newEpoll then falls back to blocking waits.
func newParkedEpoll() *epoll {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil
	}
	p := &epoll{epfd: epfd, efd: -1, tfd: tfd}
	p.ctl = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(tfd)}
	if unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, tfd, &p.ctl) != nil ||
		unix.SetNonblock(epfd, true) != nil {
		unix.Close(tfd)
		unix.Close(epfd)
		return nil
	}
	// From here the File owns epfd. It registers the fd in the runtime's
	// poller because the fd is non-blocking; SetReadDeadline fails with
	// ErrNoDeadline if that did not work (and is the reset Wait uses).
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil || f.SetReadDeadline(time.Time{}) != nil {
		f.Close()
		unix.Close(tfd)
		return nil
	}
	p.park, p.file, p.rc = true, f, rc
	p.tryFn = p.try
	return p
}

func (p *epoll) Add(fd int, ev Events, h Handler) error {
	if err := p.reg.checkAdd(&p.w, fd, ev, h, "epoll_ctl"); err != nil {
		return err
	}
	p.ctl = unix.EpollEvent{Events: toEpoll(ev), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &p.ctl); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.reg.add(fd, ev&interest, h)
	return nil
}

func (p *epoll) Remove(fd int) error {
	if _, err := p.reg.checkRemove(&p.w, fd, "epoll_ctl"); err != nil {
		return err
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
	var n int
	var err error
	switch {
	case p.park && timeout != 0 && p.hint:
		n, err = p.hintWait(timeout)
	case p.park && timeout != 0:
		n, err = p.parkWait(timeout)
	default:
		n, err = p.blockWait(timeout)
	}
	if err != nil {
		return 0, err
	}

	// Record generations before any handler runs: from here on, handlers
	// may Remove, close and re-Add fds that have events further down the
	// batch. The wake and timer events are consumed here too, so nothing a
	// handler does (not even Close) can race with the drain; they are then
	// skipped below because efd and tfd are never in the table.
	for i := range n {
		fd := int(p.events[i].Fd)
		switch fd {
		case p.efd:
			p.drainWake()
		case p.tfd:
			p.drainTimer()
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
			continue // the wake or timer event, or stale
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

// blockWait is the classic wait: epoll_wait, or epoll_pwait2 for a positive
// timeout, blocking this thread in the kernel. Park mode uses it only for
// timeout 0.
func (p *epoll) blockWait(timeout time.Duration) (int, error) {
	var start time.Time
	if timeout > 0 {
		start = time.Now()
	}
	for {
		n, err := epollWait(p.epfd, p.events[:], remaining(timeout, start), &p.ts)
		if err == nil {
			return n, nil
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
	}
}

// BlockHint makes a parked poller block its thread in epoll_wait instead
// of parking its goroutine, while on is set: for a loop waiting on
// completions that the kernel delivers to the submitting thread (io_uring
// runs an operation's completion work on the thread that submitted it,
// then signals the eventfd in our set). Parked, that costs two thread
// wake-ups per completion (the submitter, then the runtime's netpoller);
// blocked, the submitter is the waiter. Wake then arms the timerfd, a
// system call, instead of moving a deadline. Loop goroutine only; a
// poller that does not park ignores it.
func (p *epoll) BlockHint(on bool) { p.hint = on }

// hintWait is a blocking wait in park mode (BlockHint). A Wake sees inBlk
// and arms the timerfd to end it; one that came just before (pending set,
// inBlk not yet seen) is taken here without waiting. Either way the wake
// is consumed as parkWait consumes one: the deadline Wake may also have
// set is reset, then pending cleared.
func (p *epoll) hintWait(timeout time.Duration) (int, error) {
	p.inBlk.Store(true)
	n := 0
	var err error
	if !p.w.pending.Load() {
		n, err = p.blockWait(timeout)
	}
	p.inBlk.Store(false)
	if err != nil {
		return 0, err
	}
	if p.w.pending.Load() {
		if err := p.file.SetReadDeadline(time.Time{}); err != nil {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		p.w.pending.Store(false)
	}
	// The timerfd may have fired for Wake rather than for a deadline: the
	// event loop in Wait drains it, and a parkWait with a deadline re-arms
	// it (try).
	return n, nil
}

// parkWait parks the goroutine in the Go runtime's netpoller until the set
// has an event, the timeout (timerfd) expires or Wake moves the deadline.
func (p *epoll) parkWait(timeout time.Duration) (int, error) {
	p.timed = timeout > 0
	if p.timed {
		p.dl = time.Now().Add(timeout)
		if !p.armed || p.armDl.Before(p.dl) || p.armDl.After(p.dl.Add(armTolerance)) {
			if err := p.arm(p.dl.Add(armPad)); err != nil {
				return 0, err
			}
		}
	}
	p.n, p.err = 0, nil
	err := p.rc.Read(p.tryFn)
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		// A Wake: reset the deadline, then re-open the door (the order
		// matters, as for the eventfd: see waker.pending).
		if err := p.file.SetReadDeadline(time.Time{}); err != nil {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		p.w.pending.Store(false)
		return 0, nil
	}
	if p.err != nil {
		return 0, os.NewSyscallError("epoll_wait", p.err)
	}
	return p.n, nil
}

// try polls the set without blocking, for rc.Read: true ends the park.
func (p *epoll) try(uintptr) bool {
	for {
		n, err := unix.EpollWait(p.epfd, p.events[:], 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			p.n, p.err = 0, err
			return true
		}
		p.n = n
		break
	}
	fired := false
	for i := 0; i < p.n; i++ {
		if int(p.events[i].Fd) == p.tfd {
			p.drainTimer()
			fired = true
			p.n--
			p.events[i] = p.events[p.n]
			break
		}
	}
	if p.n > 0 {
		return true
	}
	if !p.timed {
		return false // a stale expiry from an earlier timed Wait
	}
	if !time.Now().Before(p.dl) {
		return true
	}
	if fired || !p.armed {
		// Expired before our deadline (armed by an earlier Wait): re-arm.
		if err := p.arm(p.dl.Add(armPad)); err != nil {
			p.err = err
			return true
		}
	}
	return false
}

// arm sets the timerfd to expire at t.
func (p *epoll) arm(t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		d = 1 // zero would disarm
	}
	p.its.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(p.tfd, 0, &p.its, nil); err != nil {
		return os.NewSyscallError("timerfd_settime", err)
	}
	p.armed, p.armDl = true, t
	return nil
}

func (p *epoll) drainTimer() {
	for {
		if _, err := unix.Read(p.tfd, p.drain8[:]); err != unix.EINTR {
			break
		}
	}
	p.armed = false
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

// past is a deadline that has always passed.
var past = time.Unix(1, 0)

func (p *epoll) Wake() error {
	write, err := p.w.begin()
	if !write {
		return err
	}
	p.w.writes.Add(1)
	if p.park {
		if p.inBlk.Load() {
			// The loop blocks in epoll_wait (BlockHint): fire the timerfd
			// in its set. The loop re-arms it for its own deadline.
			its := unix.ItimerSpec{Value: unix.Timespec{Nsec: 1}}
			err = unix.TimerfdSettime(p.tfd, 0, &its, nil)
			if err != nil {
				err = os.NewSyscallError("timerfd_settime", err)
			}
			p.w.end(err)
			return err
		}
		// No syscall: the runtime readies the parked Wait, or the next
		// Wait finds the deadline passed.
		err = p.file.SetReadDeadline(past)
		p.w.end(err)
		return err
	}
	for {
		_, err = unix.Write(p.efd, p.one[:])
		if err != unix.EINTR {
			break
		}
		p.w.writes.Add(1)
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
	var errs [2]error
	if p.park {
		errs[0] = unix.Close(p.tfd)
		errs[1] = p.file.Close() // closes epfd and takes it out of the runtime's poller
	} else {
		errs[0] = unix.Close(p.efd)
		errs[1] = unix.Close(p.epfd)
	}
	p.w.mu.Unlock()
	p.reg = registry{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		if _, ok := err.(syscall.Errno); ok {
			return os.NewSyscallError("close", err)
		}
		return err
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
