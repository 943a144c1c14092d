package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// setKeepAlivePeriod sets the idle time before the first probe, in
// seconds.
func setKeepAlivePeriod(fd, secs int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPALIVE, secs))
}
