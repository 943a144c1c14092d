//go:build unix

package fds_test

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/internal/fdtest"
)

// isNonblock reports whether fd has O_NONBLOCK.
func isNonblock(t *testing.T, fd int) bool {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fl&unix.O_NONBLOCK != 0
}

// isCloexec reports whether fd has FD_CLOEXEC.
func isCloexec(t *testing.T, fd int) bool {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fl&unix.FD_CLOEXEC != 0
}

func TestPipeAndSocketPair(t *testing.T) {
	fdtest.Check(t)
	for _, nonblock := range []bool{false, true} {
		for name, mk := range map[string]func(bool) (int, int, error){"pipe": fds.Pipe, "socketpair": fds.SocketPair} {
			a, b, err := mk(nonblock)
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range []int{a, b} {
				if got := isNonblock(t, fd); got != nonblock {
					t.Errorf("%s(%v): O_NONBLOCK is %v", name, nonblock, got)
				}
				if !isCloexec(t, fd) {
					t.Errorf("%s(%v): not close-on-exec", name, nonblock)
				}
			}
			// Data goes from the second end to the first.
			if _, err := unix.Write(b, []byte("x")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if n, err := unix.Read(a, buf); n != 1 || err != nil {
				t.Errorf("%s: read %d, %v", name, n, err)
			}
			if nonblock {
				if _, err := unix.Read(a, buf); !errors.Is(err, unix.EAGAIN) {
					t.Errorf("%s: read of an empty non-blocking end: %v, want EAGAIN", name, err)
				}
			}
			fds.Close(a, b)
		}
	}
}
