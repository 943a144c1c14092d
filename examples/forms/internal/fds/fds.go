//go:build unix

package fds

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pipe returns the read and write ends of a new pipe, close-on-exec, and
// non-blocking if nonblock is set.
func Pipe(nonblock bool) (r, w int, err error) {
	r, w, err = pipe()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	if nonblock {
		if err := SetNonblock(r, w); err != nil {
			Close(r, w)
			return -1, -1, err
		}
	}
	return r, w, nil
}

// SocketPair returns the two ends of a new Unix stream socket pair,
// close-on-exec, and non-blocking if nonblock is set.
func SocketPair(nonblock bool) (a, b int, err error) {
	a, b, err = socketpair()
	if err != nil {
		return -1, -1, os.NewSyscallError("socketpair", err)
	}
	if nonblock {
		if err := SetNonblock(a, b); err != nil {
			Close(a, b)
			return -1, -1, err
		}
	}
	return a, b, nil
}

// SetNonblock sets O_NONBLOCK on each fd.
func SetNonblock(fds ...int) error {
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			return os.NewSyscallError("fcntl", err)
		}
	}
	return nil
}

// Close closes each fd, ignoring errors: for the programs' deferred
// clean-up.
func Close(fds ...int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
