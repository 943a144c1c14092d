//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/signal"
)

// loopState is what the package keeps per loop: the children not reaped
// yet and the pipe ends still open, so that none outlives the loop, the
// read buffer the loop's callback-face readers share, and the SIGCHLD
// subscription of the children watched without a pidfd. Loop goroutine
// only, except in the close hook, which runs after the loop has stopped.
type loopState struct {
	l     *loop.Loop
	buf   []byte
	cmds  map[*Cmd]struct{}
	pipes map[aborter]struct{}
	// chld is subscribed while children without a pidfd live (nopidfd
	// of them): their exit is learned from SIGCHLD (exit.go).
	chld    *signal.Sub
	nopidfd int
}

// An aborter is a pipe end, released when its loop closes.
type aborter interface{ abort() }

// readBufferSize is the size of each loop's read buffer, shared by the
// callback-face readers of the loop (one read at a time runs on a loop).
const readBufferSize = 64 << 10

var states sync.Map // *loop.Loop -> *loopState

// stateOf returns l's state, making it the first time. Loop goroutine
// only.
func stateOf(l *loop.Loop) *loopState {
	if v, ok := states.Load(l); ok {
		return v.(*loopState)
	}
	ls := &loopState{l: l, cmds: make(map[*Cmd]struct{}), pipes: make(map[aborter]struct{})}
	states.Store(l, ls)
	l.OnClose(ls.close)
	return ls
}

// readBuf returns the loop's read buffer.
func (ls *loopState) readBuf() []byte {
	if ls.buf == nil {
		ls.buf = make([]byte, readBufferSize)
	}
	return ls.buf
}

// close is the loop's close hook: every child still running is killed
// and reaped (a zombie would outlive the loop otherwise, and a child left
// running would hold pipes nobody reads), then every pipe end still open
// is closed. It runs after the loop has stopped, on the goroutine that
// closed it; fibers have been unwound before it (fiber.Run's hook comes
// first), and no callback of the package runs from here.
func (ls *loopState) close() {
	states.Delete(ls.l)
	for c := range ls.cmds {
		c.abandon()
	}
	for p := range ls.pipes {
		p.abort()
	}
	clear(ls.pipes)
	if ls.chld != nil {
		ls.chld.Stop()
		ls.chld = nil
	}
}

// devNull opens /dev/null for a child's fd the Cmd leaves unset.
func devNull() (int, error) {
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
