//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/timer"
)

// listenSock is what both faces' listening sockets share (Listener,
// serverAcceptor): the fd on its loop, the accept loop with its back-off
// when the process runs out of file descriptors, and the close. Loop
// goroutine only.
type listenSock struct {
	l        *loop.Loop
	fd       int
	family   int
	o        *options
	path     string // a Unix socket's path, removed on close
	ls       *loopState
	at       int32 // index in ls.socks
	canRead  bool
	closed   bool
	paused   bool // backing off: no accept until the timer fires
	backoff  time.Duration
	backoffT timer.Timer
}

func (a *listenSock) index() *int32 { return &a.at }

// register puts the listening socket on its loop with h as the readiness
// handler. Loop goroutine only.
func (a *listenSock) register(h interface {
	poller.Handler
	owned
}) error {
	if err := a.l.Register(a.fd, poller.Readable, h); err != nil {
		return err
	}
	a.canRead = true
	a.ls = stateOf(a.l)
	a.ls.add(h)
	return nil
}

// next accepts the next connection, set up with the options, and returns
// its fd, or -1 when none can be taken now: the backlog is empty, or the
// process is out of file descriptors (EMFILE, ENFILE), in which case the
// connection stays in the backlog and accepting stops for a back-off (5 ms
// doubling to 1 s, reset by the next success) after which retry runs:
// no spinning on a readiness that cannot be served. err is for a broken
// listening socket.
func (a *listenSock) next(retry func()) (int, error) {
	for a.canRead && !a.paused && !a.closed {
		nfd, _, err := sysAccept(a.fd)
		switch {
		case err == nil:
			a.backoff = 0
			if err := a.o.applyConn(nfd, a.family); err != nil {
				unix.Close(nfd)
				continue
			}
			return nfd, nil
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			a.canRead = false
		case isOutOfFDs(err):
			a.backOff(retry)
		case isTemporaryAccept(err):
		default:
			return -1, os.NewSyscallError("accept", err)
		}
	}
	return -1, nil
}

func (a *listenSock) backOff(retry func()) {
	if a.backoff == 0 {
		a.backoff = a.o.acceptBackoff
	} else {
		a.backoff = min(2*a.backoff, time.Second)
	}
	a.paused = true
	a.backoffT = a.l.AfterFunc(a.backoff, func() {
		a.paused = false
		retry()
	})
}

// close stops accepting and closes the socket; false if it was closed.
func (a *listenSock) close(h owned) (bool, error) {
	if a.closed {
		return false, nil
	}
	a.closed = true
	a.backoffT.Stop()
	a.paused = false
	if a.ls != nil {
		a.ls.remove(h)
	}
	_ = a.l.Unregister(a.fd)
	err := unix.Close(a.fd)
	if a.path != "" {
		_ = os.Remove(a.path)
	}
	return true, os.NewSyscallError("close", err)
}
