//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"sync"

	"github.com/weftio/weft/loop"
)

// loopState is what the package keeps per loop: the read buffer the
// loop's callback-face connections share, and every socket open on the
// loop, so that none outlives it: when the loop closes, the sockets still
// open are reset and their fds closed (a callback-face connection's
// OnClose runs with net.ErrClosed).
type loopState struct {
	buf      []byte
	socks    []owned
	bat      *batcher // made for the first connection that wants it
	batTried bool     // bat was made, or could not be
}

// owned is a socket kept in loopState: it knows its index there.
type owned interface {
	index() *int32
	abort()
}

// readBufferSize is the size of each loop's read buffer.
const readBufferSize = 64 << 10

var states sync.Map // *loop.Loop -> *loopState

// stateOf returns l's state, making it the first time. Loop goroutine
// only.
func stateOf(l *loop.Loop) *loopState {
	if v, ok := states.Load(l); ok {
		return v.(*loopState)
	}
	ls := &loopState{}
	states.Store(l, ls)
	l.OnClose(func() {
		states.Delete(l)
		for len(ls.socks) > 0 {
			s := ls.socks[len(ls.socks)-1]
			s.abort()
			ls.remove(s) // in case abort did not
		}
		if ls.bat != nil {
			ls.bat.close()
		}
	})
	return ls
}

// readBuf returns the loop's read buffer.
func (ls *loopState) readBuf() []byte {
	if ls.buf == nil {
		ls.buf = make([]byte, readBufferSize)
	}
	return ls.buf
}

// batcher returns the loop's batcher, making it the first time, or nil
// where io_uring cannot serve (WithIOUring).
func (ls *loopState) batcher(l *loop.Loop) *batcher {
	if !ls.batTried {
		ls.batTried = true
		ls.bat = newBatcher(l)
	}
	return ls.bat
}

func (ls *loopState) add(s owned) {
	*s.index() = int32(len(ls.socks))
	ls.socks = append(ls.socks, s)
}

func (ls *loopState) remove(s owned) {
	if i := int(*s.index()); i >= 0 && i < len(ls.socks) && ls.socks[i] == s {
		ls.removeAt(int32(i))
	}
}

// removeAt removes the socket at index i.
func (ls *loopState) removeAt(i32 int32) {
	i := int(i32)
	if i < 0 || i >= len(ls.socks) {
		return
	}
	at := ls.socks[i].index()
	last := len(ls.socks) - 1
	ls.socks[i] = ls.socks[last]
	*ls.socks[i].index() = int32(i)
	ls.socks[last] = nil
	ls.socks = ls.socks[:last]
	*at = -1
}

// onLoopWait runs f on l and waits for it: directly when the caller is
// on l, else by Post; a loop that refuses the Post gives its error
// (net.ErrClosed).
func onLoopWait(l *loop.Loop, f func() error) error {
	if l.OnLoop() {
		return f()
	}
	done := make(chan error, 1)
	if err := l.Post(func() { done <- f() }); err != nil {
		return err
	}
	return <-done
}
