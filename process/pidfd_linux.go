package process

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Linux: a child's exit is learned from its pidfd, readable once the
// child has exited, registered in the loop's poller; signals go through
// it too, so they can never reach another process that reused the pid.

// pidfdWorks reports whether pidfd_open works here: since Linux 5.3, and
// unless a seccomp filter (some container runtimes, Android before 12)
// refuses it.
var pidfdWorks = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// pidfdOff makes the package watch children with SIGCHLD, as it does on
// other systems (a test hook).
var pidfdOff atomic.Bool

// usePidfd reports whether children get a pidfd.
func usePidfd() bool { return !pidfdOff.Load() && pidfdWorks() }

// openPidfd returns a pidfd for the child pid, or -1. The pid is ours
// until we reap it, so it cannot name another process here. pidfds are
// always close-on-exec.
func openPidfd(pid int) int {
	if !usePidfd() {
		return -1
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1 // EMFILE, say: the child is watched by SIGCHLD instead
	}
	return fd
}

// sendSignal sends sig through pidfd if there is one, else to pid, and
// returns the system call's name and error.
func sendSignal(pidfd, pid int, sig syscall.Signal) (string, error) {
	if pidfd >= 0 {
		return "pidfd_send_signal", unix.PidfdSendSignal(pidfd, sig, nil, 0)
	}
	return "kill", unix.Kill(pid, sig)
}
