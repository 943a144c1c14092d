//go:build linux || freebsd || netbsd || openbsd

package netpoll

import "golang.org/x/sys/unix"

// sysSocket makes a socket that is non-blocking and close-on-exec from
// the start.
func sysSocket(family, sotype, proto int) (int, error) {
	return unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
}
