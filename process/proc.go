//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
)

// A Process is a child started by a Cmd. Signal and Kill may be called
// from any goroutine, before or after the child exits.
type Process struct {
	// Pid is the child's process id.
	Pid int

	l     *loop.Loop
	mu    sync.Mutex // guards pidfd and done against Signal from other goroutines
	pidfd int        // -1 without one
	done  bool       // reaped: the pid may belong to another process now
}

// Signal sends sig (a syscall.Signal) to the child. Once the child has
// been reaped it returns os.ErrProcessDone and sends nothing: the pid may
// have been given to another process. Until then the pid is the child's
// (an exited child keeps it as a zombie until it is reaped), and on Linux
// the signal goes through the child's pidfd anyway.
func (p *Process) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("process: %v (%T) is not a Unix signal: %w", sig, sig, os.ErrInvalid)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return os.ErrProcessDone
	}
	op, err := sendSignal(p.pidfd, p.Pid, s)
	switch err {
	case nil:
		return nil
	case unix.ESRCH:
		return os.ErrProcessDone
	}
	return os.NewSyscallError(op, err)
}

// Kill sends SIGKILL to the child; see Signal.
func (p *Process) Kill() error { return p.Signal(unix.SIGKILL) }

// reap waits for the child's exit status: without blocking unless block
// is set. It reports whether the child is reaped (or lost, with an error:
// ECHILD if something else in the process reaped it). On the loop, or in
// the loop's close hook.
func (p *Process) reap(block bool) (*State, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return nil, true, nil
	}
	opts := unix.WNOHANG
	if block {
		opts = 0
	}
	// syscall's types rather than x/sys/unix's: State.Sys and SysUsage
	// return what os.ProcessState returns, for code that asserts them.
	st := &State{}
	for {
		pid, err := syscall.Wait4(p.Pid, &st.status, opts, &st.rusage)
		if err == unix.EINTR {
			continue
		}
		if err == nil && pid == 0 {
			return nil, false, nil
		}
		p.done = true
		if p.pidfd >= 0 {
			_ = p.l.Unregister(p.pidfd) // fails harmlessly in the close hook
			unix.Close(p.pidfd)
			p.pidfd = -1
		}
		if err != nil {
			return nil, true, os.NewSyscallError("wait4", err)
		}
		st.pid = pid
		return st, true, nil
	}
}

// State is how a child ended, as os.ProcessState reports it.
type State struct {
	pid    int
	status syscall.WaitStatus
	rusage syscall.Rusage
}

// Pid returns the child's process id.
func (s *State) Pid() int { return s.pid }

// Exited reports whether the child exited by itself (rather than being
// killed by a signal).
func (s *State) Exited() bool { return s.status.Exited() }

// ExitCode returns the child's exit code, or -1 if a signal killed it.
func (s *State) ExitCode() int {
	if !s.status.Exited() {
		return -1
	}
	return s.status.ExitStatus()
}

// Success reports whether the child exited with code 0.
func (s *State) Success() bool { return s.status.Exited() && s.status.ExitStatus() == 0 }

// Signal returns the signal that killed the child, or nil if it exited.
func (s *State) Signal() os.Signal {
	if !s.status.Signaled() {
		return nil
	}
	return s.status.Signal()
}

// Sys returns the syscall.WaitStatus, as os.ProcessState.Sys does.
func (s *State) Sys() any { return s.status }

// SysUsage returns the child's *syscall.Rusage, as os.ProcessState.SysUsage
// does.
func (s *State) SysUsage() any { return &s.rusage }

// UserTime returns the user CPU time of the child (and of its children it
// waited for).
func (s *State) UserTime() time.Duration {
	return time.Duration(s.rusage.Utime.Nano())
}

// SystemTime returns the system CPU time of the child.
func (s *State) SystemTime() time.Duration {
	return time.Duration(s.rusage.Stime.Nano())
}

// String describes the end as os.ProcessState does: "exit status 1",
// "signal: killed".
func (s *State) String() string {
	if s == nil {
		return "<nil>"
	}
	ws := s.status
	var res string
	switch {
	case ws.Exited():
		res = "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		res = "signal: " + ws.Signal().String()
	case ws.Stopped():
		res = "stop signal: " + ws.StopSignal().String()
	case ws.Continued():
		res = "continued"
	}
	if ws.CoreDump() {
		res += " (core dumped)"
	}
	return res
}
