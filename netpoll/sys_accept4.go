//go:build linux || freebsd

package netpoll

import "golang.org/x/sys/unix"

// sysAccept accepts a connection as a non-blocking, close-on-exec fd.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
