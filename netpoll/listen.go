//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/netpoll/poller"
)

// Listener is the fiber face of a listening stream socket: Accept parks
// the calling fiber until a connection arrives, and returns it as a *Conn
// on the listener's loop. It satisfies net.Listener.
type Listener struct {
	listenSock
	o       options
	network string
	addr    net.Addr
	waiters []fiber.Waiter
}

// abort closes the listener when its loop closes.
func (ln *Listener) abort() { _ = ln.closeNow() }

var _ net.Listener = (*Listener)(nil)

// Listen listens on address ("host:port" for "tcp", "tcp4" and "tcp6", a
// path for "unix") on the loop of the calling fiber, whose context ctx
// is. A host name is resolved on the offload pool, look-ups for the same
// name merged. Only a fiber may call Listen. Under WithIOUring (the
// default on Linux) the loop gets its io_uring here, if it has none yet:
// one descriptor, kept until the loop closes.
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
	ln := &Listener{o: o, network: network}
	ln.listenSock = listenSock{l: l, fd: fd, family: specs[0].family, o: &ln.o}
	if sa, err := unix.Getsockname(fd); err == nil {
		ln.addr = addrOf(network, sa)
		if ln.family == unix.AF_UNIX {
			ln.path = ln.addr.String()
		}
	}
	if err := ln.register(ln); err != nil {
		unix.Close(fd)
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if o.ioUring {
		ln.ls.batcher(l) // now, so that its descriptor is there from the start
	}
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
		nfd, err := ln.next(func() { wakeAll(&ln.waiters) })
		if err != nil {
			return nil, ln.opErr(err)
		}
		if nfd >= 0 {
			c, err := newConn(ln.l, nfd, ln.family, &ln.o)
			if err != nil {
				unix.Close(nfd)
				return nil, ln.opErr(err)
			}
			return c, nil
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
	if err := onLoopWait(ln.l, ln.closeNow); err != nil {
		return &net.OpError{Op: "close", Net: ln.network, Addr: ln.addr, Err: err}
	}
	return nil
}

func (ln *Listener) closeNow() error {
	closed, err := ln.close(ln)
	if !closed {
		return net.ErrClosed
	}
	wakeAll(&ln.waiters)
	return err
}

// Addr returns the address the listener listens on (with the port the
// system chose for ":0").
func (ln *Listener) Addr() net.Addr { return ln.addr }
