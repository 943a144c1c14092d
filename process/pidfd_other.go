//go:build darwin || freebsd || netbsd || openbsd

package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Elsewhere there is no pidfd: every child is watched by SIGCHLD
// (exit.go), and signalled by pid, which stays the child's until it is
// reaped.

func usePidfd() bool { return false }

func openPidfd(int) int { return -1 }

func sendSignal(_, pid int, sig syscall.Signal) (string, error) {
	return "kill", unix.Kill(pid, sig)
}
