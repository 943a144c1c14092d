//go:build linux || freebsd || netbsd || openbsd

package process

import "golang.org/x/sys/unix"

// osPipe returns a pipe whose both ends are close-on-exec, made so
// atomically: a fork by another goroutine cannot carry them into its
// child. The ends are blocking; the parent makes its own non-blocking.
func osPipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}
