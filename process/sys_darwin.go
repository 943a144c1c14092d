package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// osPipe returns a pipe whose both ends are close-on-exec. macOS has no
// pipe2, so the flag is set afterwards, under syscall.ForkLock as
// os.Pipe does, so that a fork by another goroutine (which takes the lock
// for writing) cannot carry the ends into its child in between.
func osPipe() (r, w int, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(p[:]); err != nil {
		return -1, -1, err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return p[0], p[1], nil
}
