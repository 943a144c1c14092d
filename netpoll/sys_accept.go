//go:build darwin || netbsd || openbsd

package netpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysAccept accepts a connection as a non-blocking, close-on-exec fd:
// where x/sys has no accept4, under the fork lock as the standard library
// does.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, nil, err
	}
	noSigPipe(nfd)
	return nfd, sa, nil
}
