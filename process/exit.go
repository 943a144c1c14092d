//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/signal"
)

// How a loop learns that a child exited.
//
// With a pidfd (Linux 5.3 and later): the pidfd becomes readable when the
// child exits; it is registered in the loop's poller, and its readiness
// reaps the child with wait4(pid, WNOHANG). No goroutine, no signal.
//
// Without (macOS, the BSDs, a Linux that refuses pidfd_open): the loop
// subscribes to SIGCHLD (package weft/signal) while it has such children,
// and on each SIGCHLD tries wait4(pid, WNOHANG) on each of them: SIGCHLD
// coalesces, so one signal may stand for several exits, and it may be a
// child of another loop or of os/exec. Each child is reaped by its own
// pid, never by wait4(-1), so children that other code of the process
// started are left to it. The subscription is made before the fork and a
// first try is queued right after it, so an exit cannot fall between.
//
// The alternative, a goroutine blocked in wait4 per child on the offload
// pool, would hold a worker of a bounded pool per running child: a
// hundred long-lived children would starve every other blocking call.

// pidWatch is a Cmd seen as the poller's handler of its pidfd.
type pidWatch Cmd

// Ready runs when the pidfd becomes readable: the child has exited.
func (w *pidWatch) Ready(poller.Events) { (*Cmd)(w).reapNow() }

// watchExit arranges for the loop to learn of the child's exit, by pidfd
// if wanted and possible; otherwise by SIGCHLD, subscribed already if no
// pidfd was wanted.
func (c *Cmd) watchExit(wantPidfd bool) {
	p := c.Process
	if wantPidfd {
		if fd := openPidfd(p.Pid); fd >= 0 {
			if err := c.l.Register(fd, poller.Readable, (*pidWatch)(c)); err == nil {
				p.pidfd = fd
				return
			}
			closeFd(fd)
		}
		// No pidfd for this child (EMFILE, say): SIGCHLD it is. The
		// child may have exited before the subscription, which the first
		// try below finds.
		if c.ls.watchSIGCHLD() != nil {
			// Only a closed loop refuses; its close hook reaps the child.
			return
		}
	}
	c.nopidfd = true
	c.l.Schedule(c.reapNow)
}

// reapNow reaps the child if it has exited.
func (c *Cmd) reapNow() {
	if c.exited {
		return
	}
	st, ok, err := c.Process.reap(false)
	if !ok {
		if c.Process.pidfd >= 0 {
			// Readable but not waitable yet, which the kernel should not
			// do: look again shortly rather than lose the exit.
			c.l.AfterFunc(time.Millisecond, c.reapNow)
		}
		return
	}
	if c.nopidfd {
		c.nopidfd = false
		c.ls.unwatchSIGCHLD()
	}
	c.exit(st, err)
}

// watchSIGCHLD counts one more child watched by SIGCHLD, subscribing to
// it for the first.
func (ls *loopState) watchSIGCHLD() error {
	if ls.chld == nil {
		sub, err := signal.Notify(ls.l, func(signal.Event) { ls.reapSIGCHLD() }, unix.SIGCHLD)
		if err != nil {
			return err
		}
		ls.chld = sub
	}
	ls.nopidfd++
	return nil
}

// unwatchSIGCHLD counts one child less watched by SIGCHLD, unsubscribing
// after the last: a loop with no such child is not woken by others'.
func (ls *loopState) unwatchSIGCHLD() {
	ls.nopidfd--
	if ls.nopidfd == 0 && ls.chld != nil {
		ls.chld.Stop()
		ls.chld = nil
	}
}

// reapSIGCHLD tries to reap every child of the loop watched by SIGCHLD.
func (ls *loopState) reapSIGCHLD() {
	for c := range ls.cmds {
		if c.nopidfd {
			c.reapNow()
		}
	}
}

// closeFd closes fd, for an fd the package owns.
func closeFd(fd int) { _ = unix.Close(fd) }
