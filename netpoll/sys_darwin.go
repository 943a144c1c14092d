package netpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysSocket makes a socket that is non-blocking and close-on-exec. Darwin
// has no flags for it, so the fd is set up under the fork lock, as the
// standard library does.
func sysSocket(family, sotype, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, sotype, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	noSigPipe(fd)
	return fd, nil
}

// noSigPipe makes a write to a closed peer return EPIPE instead of
// raising SIGPIPE.
func noSigPipe(fd int) { _ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1) }
