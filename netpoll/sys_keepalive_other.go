//go:build linux || freebsd || netbsd

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// setKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes, in seconds.
func setKeepAlivePeriod(fd, secs int) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs))
}
