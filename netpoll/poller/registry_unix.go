//go:build linux || darwin || freebsd || netbsd || openbsd

package poller

import (
	"os"

	"golang.org/x/sys/unix"
)

// checkAdd applies the contract's rules for Add, the same on every
// back-end, and returns the error to report under the syscall name call
// (nil: go ahead). Only the interest bits of ev count.
func (r *registry) checkAdd(w *waker, fd int, ev Events, h Handler, call string) error {
	if h == nil {
		panic("poller: Add with a nil Handler")
	}
	switch {
	case w.closed.Load():
		return errClosed
	case fd < 0:
		return os.NewSyscallError(call, unix.EBADF)
	case ev&interest == 0:
		return os.NewSyscallError(call, unix.EINVAL)
	case r.registered(fd):
		// The kernel would not always say so (epoll only while the old
		// file is open; kqueue's EV_ADD silently modifies): the table is
		// the authority on what was added.
		return os.NewSyscallError(call, unix.EEXIST)
	}
	return nil
}

// checkRemove applies the contract's rules for Remove: it forgets fd and
// returns its interest, for the back-end to undo in the kernel, or the
// error to report under the syscall name call.
func (r *registry) checkRemove(w *waker, fd int, call string) (Events, error) {
	if w.closed.Load() {
		return 0, errClosed
	}
	ev, ok := r.remove(fd)
	if !ok {
		return 0, os.NewSyscallError(call, unix.ENOENT)
	}
	return ev, nil
}
