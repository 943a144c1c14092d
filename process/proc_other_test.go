//go:build darwin || freebsd || netbsd || openbsd

package process_test

import (
	"testing"

	"golang.org/x/sys/unix"
)

// noChildren fails t if this process has a child not reaped yet: wait4
// for any child, without waiting, must find none (ECHILD). Any child it
// does find is reaped, which is what the test checks for anyway.
func noChildren(t *testing.T) {
	t.Helper()
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("a child left behind (wait4: pid %d, %v)", pid, err)
	}
}

// hasChildren reports whether this process has a child not reaped yet.
func hasChildren() bool {
	var ws unix.WaitStatus
	_, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
	return err != unix.ECHILD
}
