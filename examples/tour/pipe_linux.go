package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// nonblockingPipe returns a pipe whose ends are non-blocking and
// close-on-exec, set atomically at creation.
func nonblockingPipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[0], p[1], nil
}
