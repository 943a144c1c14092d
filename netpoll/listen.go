//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/timer"
)

// Listener is the fiber face of a listening stream socket: Accept parks
// the calling fiber until a connection arrives, and returns it as a *Conn
// on the listener's loop. It satisfies net.Listener.
type Listener struct {
	fd       int
	l        *loop.Loop
	o        options
	network  string
	addr     net.Addr
	family   int
	waiters  []fiber.Waiter
	canRead  bool
	closed   bool
	acceptor acceptor
	ls       *loopState
	at       int32
}

func (ln *Listener) index() *int32 { return &ln.at }

// abort closes the listener when its loop closes.
func (ln *Listener) abort() { _ = ln.closeNow() }

var _ net.Listener = (*Listener)(nil)

// Listen listens on address ("host:port" for "tcp", "tcp4" and "tcp6", a
// path for "unix") on the loop of the calling fiber, whose context ctx
// is. A host name is resolved on the offload pool, look-ups for the same
// name merged. Only a fiber may call Listen.
func Listen(ctx context.Context, network, address string, opts ...Option) (*Listener, error) {
	l := fiber.Loop(ctx)
	if !isStream(network) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	o := makeOptions(opts)
	specs, err := resolveIn(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	fd, err := listenSocket(specs[0], &o)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	ln := &Listener{fd: fd, l: l, o: o, network: network, family: specs[0].family, canRead: true}
	ln.acceptor = acceptor{l: l, backoff0: o.acceptBackoff}
	if sa, err := unix.Getsockname(fd); err == nil {
		ln.addr = addrOf(network, sa)
	}
	if err := l.Register(fd, poller.Readable, ln); err != nil {
		unix.Close(fd)
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	ln.ls = stateOf(l)
	ln.ls.add(ln)
	return ln, nil
}

// resolveIn parses address and resolves a host name from a fiber (on the
// offload pool, through fiber.Blocking).
func resolveIn(ctx context.Context, network, address string) ([]sockSpec, error) {
	ep, err := parseAddress(network, address)
	if err != nil {
		return nil, err
	}
	if !ep.needsLookup() {
		return ep.specs(network, nil)
	}
	// Parked on the look-up's result, which no worker waits for.
	f := future.FromChan(fiber.Loop(ctx), lookupChan(network, ep.host))
	r, err := fiber.Await(ctx, f)
	if err != nil {
		f.Cancel()
		return nil, err
	}
	if r.Err != nil {
		return nil, r.Err
	}
	return ep.specs(network, r.Val.([]netip.Addr))
}

// Ready is the poller's readiness callback. Loop goroutine only.
func (ln *Listener) Ready(poller.Events) {
	ln.canRead = true
	wakeAll(&ln.waiters)
}

// Accept waits for the next connection; see AcceptConn.
func (ln *Listener) Accept() (net.Conn, error) {
	c, err := ln.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptConn parks the calling fiber until a connection arrives and
// returns it. When the process is out of file descriptors (EMFILE,
// ENFILE) it keeps the connection waiting in the backlog and retries after
// a back-off (5 ms, doubling up to 1 s), without spinning, while the
// loop goes on serving. Only a fiber of the listener's loop may call it.
func (ln *Listener) AcceptConn() (*Conn, error) {
	ctx := fiber.Self(ln.l)
	if ctx == nil {
		return nil, ln.opErr(ErrNotFiber)
	}
	for {
		if ln.closed {
			return nil, ln.opErr(net.ErrClosed)
		}
		if ln.canRead && !ln.acceptor.waiting() {
			nfd, _, err := sysAccept(ln.fd)
			switch {
			case err == nil:
				ln.acceptor.ok()
				if err := ln.o.applyConn(nfd, ln.family); err != nil {
					unix.Close(nfd)
					continue
				}
				c, err := newConn(ln.l, nfd, ln.family, &ln.o)
				if err != nil {
					unix.Close(nfd)
					return nil, ln.opErr(err)
				}
				return c, nil
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				ln.canRead = false
			case isOutOfFDs(err):
				ln.acceptor.backOff(func() { wakeAll(&ln.waiters) })
			case isTemporaryAccept(err):
				continue
			default:
				return nil, ln.opErr(os.NewSyscallError("accept", err))
			}
		}
		if err := fiber.Suspend(ctx, "Listener.Accept", func(w fiber.Waiter) { ln.waiters = append(ln.waiters, w) }); err != nil {
			return nil, ln.opErr(err)
		}
	}
}

func (ln *Listener) opErr(err error) error {
	return &net.OpError{Op: "accept", Net: ln.network, Addr: ln.addr, Err: err}
}

// Close stops listening; parked Accepts return net.ErrClosed. Connections
// already accepted stay open. Any goroutine may call it.
func (ln *Listener) Close() error {
	var err error
	if ln.l.OnLoop() {
		err = ln.closeNow()
	} else {
		done := make(chan error, 1)
		if perr := ln.l.Post(func() { done <- ln.closeNow() }); perr != nil {
			return ln.opErr(net.ErrClosed)
		}
		err = <-done
	}
	if err != nil {
		return &net.OpError{Op: "close", Net: ln.network, Addr: ln.addr, Err: err}
	}
	return nil
}

func (ln *Listener) closeNow() error {
	if ln.closed {
		return net.ErrClosed
	}
	ln.closed = true
	ln.acceptor.stop()
	ln.ls.remove(ln)
	_ = ln.l.Unregister(ln.fd)
	err := unix.Close(ln.fd)
	if ln.family == unix.AF_UNIX && ln.addr != nil {
		_ = os.Remove(ln.addr.String())
	}
	wakeAll(&ln.waiters)
	return os.NewSyscallError("close", err)
}

// Addr returns the address the listener listens on (with the port the
// system chose for ":0").
func (ln *Listener) Addr() net.Addr { return ln.addr }

// acceptor is the back-off of an accept loop that ran out of file
// descriptors: no accept until the timer fires, doubling up to a second.
type acceptor struct {
	l        *loop.Loop
	backoff0 time.Duration
	backoff  time.Duration
	t        timer.Timer
	paused   bool
	// Stalls counts the times accept met EMFILE or ENFILE.
	stalls uint64
}

func (a *acceptor) waiting() bool { return a.paused }

func (a *acceptor) ok() { a.backoff = 0 }

func (a *acceptor) backOff(retry func()) {
	a.stalls++
	if a.backoff == 0 {
		a.backoff = a.backoff0
	} else {
		a.backoff = min(2*a.backoff, time.Second)
	}
	a.paused = true
	a.t = a.l.AfterFunc(a.backoff, func() {
		a.paused = false
		retry()
	})
}

func (a *acceptor) stop() {
	a.t.Stop()
	a.paused = false
}
