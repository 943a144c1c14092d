package poller

import "golang.org/x/sys/unix"

// wakePipe returns a non-blocking, close-on-exec pipe. macOS has no pipe2,
// so the flags are set afterwards. A fork+exec from another goroutine in
// that window could carry the pair into the child (os/exec guards against
// it with syscall.ForkLock, which this package does not use); the child
// would hold two stray fds, and its writes could at worst cause spurious
// wake-ups here.
func wakePipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return -1, -1, err
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return -1, -1, err
		}
	}
	return p[0], p[1], nil
}
