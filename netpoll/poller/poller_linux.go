package poller

import (
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// New returns an epoll poller. It parks its goroutine in Go's netpoller
// when it waits, unless WEFT_POLLER_PARK=0 is set or that cannot be set up.
func New() (Poller, error) {
	return newEpoll(!parkOff.Load())
}

// NewBlocking returns an epoll poller that blocks its thread in
// epoll_pwait2 when it waits, and whose Wake writes an eventfd: for a loop
// whose work comes from its own fds, where a wake-up is one thread woken
// by the kernel rather than the runtime's netpoller hearing of the epoll
// fd and readying the goroutine (docs/poller.md).
func NewBlocking() (Poller, error) {
	return newEpoll(false)
}

// noPwait2 is set once the kernel (or a seccomp filter in front of it) has
// refused epoll_pwait2; from then on every poller uses epoll_wait. It is
// process-wide because the answer cannot change while the process runs.
var noPwait2 atomic.Bool

// epollWait waits on epfd. A positive timeout goes through epoll_pwait2
// (Linux 5.11+) for nanosecond precision; epoll_wait counts whole
// milliseconds, so a 50µs timer would sleep a full 1ms there. A zero or
// infinite timeout needs no precision and takes epoll_wait, which measured
// ~200ns cheaper per call for Wait(0) (docs/poller.md). If the kernel
// refuses epoll_pwait2, every later call uses epoll_wait with the timeout
// rounded up. ts is caller-owned scratch so the timeout does not escape to
// the heap on every call.
func epollWait(epfd int, events []unix.EpollEvent, timeout time.Duration, ts *unix.Timespec) (int, error) {
	if timeout > 0 && !noPwait2.Load() {
		*ts = unix.NsecToTimespec(int64(timeout))
		n, err := epollPwait2(epfd, events, ts)
		// ENOSYS: kernel before 5.11. EPERM: a seccomp profile that
		// predates the syscall (older Docker defaults); the kernel itself
		// never returns EPERM here.
		if err != unix.ENOSYS && err != unix.EPERM {
			return n, err
		}
		noPwait2.Store(true)
	}
	return unix.EpollWait(epfd, events, msec(timeout))
}

// epollPwait2 is epoll_pwait2(2) without a signal mask. x/sys has the
// syscall number but no wrapper. It uses Syscall6, not RawSyscall6, because
// it blocks: the runtime must know this thread is in a syscall so it can
// hand the P to another thread.
func epollPwait2(epfd int, events []unix.EpollEvent, ts *unix.Timespec) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd),
		uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)),
		uintptr(unsafe.Pointer(ts)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// msec converts a timeout to epoll_wait's milliseconds, rounding up so a
// timer is never woken before its deadline; the cost is up to 1ms of lateness,
// which is why epoll_pwait2 is preferred.
func msec(timeout time.Duration) int {
	if timeout < 0 {
		return -1
	}
	ms := timeout / time.Millisecond
	if timeout%time.Millisecond != 0 {
		ms++ // cannot overflow: ms is at most MaxInt64/1e6
	}
	return int(min(ms, math.MaxInt32))
}
