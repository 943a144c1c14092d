//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"errors"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"golang.org/x/sync/singleflight"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
	"github.com/weftio/weft/timer"
)

// Connect dials address on network from the callback face: a
// non-blocking connect on l, bounded by WithDialTimeout, after which the
// connection is served by h on l like an accepted one (OnOpen first). The
// future settles on l with the connection once OnOpen has run, or with the
// dial's *net.OpError (h is then never called). A host name is resolved
// off the loop (look-ups for one name merged) and its addresses are tried
// in order. Any goroutine may call Connect.
func Connect(l *loop.Loop, network, address string, h Handler, opts ...Option) *future.Future[*EventConn] {
	f, p := future.New[*EventConn](l)
	o := makeOptions(opts)
	fail := func(err error) { p.Reject(&net.OpError{Op: "dial", Net: network, Err: err}) }
	if !isStream(network) {
		fail(net.UnknownNetworkError(network))
		return f
	}
	ep, err := parseAddress(network, address)
	if err != nil {
		fail(err)
		return f
	}
	start := func(addrs []netip.Addr) {
		specs, err := ep.specs(network, addrs)
		if err != nil {
			fail(err)
			return
		}
		d := &dialer{l: l, network: network, specs: specs, o: &o, h: h, p: p}
		if o.dialTimeout > 0 {
			d.timeout = l.AfterFunc(o.dialTimeout, func() { d.give(os.NewSyscallError("connect", unix.ETIMEDOUT)) })
		}
		d.next()
	}
	if !ep.needsLookup() {
		if err := l.Post(func() { start(nil) }); err != nil {
			fail(err)
		}
		return f
	}
	future.FromChan(l, lookupChan(network, ep.host)).OnSettled(func(r singleflightResult, err error) {
		if err == nil {
			err = r.Err
		}
		if err != nil {
			fail(err)
			return
		}
		start(r.Val.([]netip.Addr))
	})
	return f
}

// dialer drives one Connect: it tries the addresses in order and hands the
// connected fd to an EventConn. Loop goroutine only.
type dialer struct {
	l       *loop.Loop
	network string
	specs   []sockSpec
	o       *options
	h       Handler
	p       future.Promise[*EventConn]
	fd      int
	family  int
	timeout timer.Timer
	first   error
	done    bool
	waiting bool // fd is registered, its connect in progress
	ls      *loopState
	at      int32
}

func (d *dialer) index() *int32 { return &d.at }
func (d *dialer) abort()        { d.give(net.ErrClosed) }

// next starts a connect to the next address, or gives up.
func (d *dialer) next() {
	for len(d.specs) > 0 && !d.done {
		spec := d.specs[0]
		d.specs = d.specs[1:]
		fd, err := newSocket(spec)
		if err == nil {
			if err = d.o.applyConn(fd, spec.family); err != nil {
				unix.Close(fd)
			}
		}
		if err == nil {
			err = unix.Connect(fd, spec.sa)
			for err == unix.EINTR {
				err = unix.Connect(fd, spec.sa)
			}
			if err != nil && err != unix.EINPROGRESS && err != unix.EALREADY && err != unix.EAGAIN {
				unix.Close(fd)
				err = os.NewSyscallError("connect", err)
			} else {
				d.fd, d.family = fd, spec.family
				if err == nil {
					d.connected()
					return
				}
				if rerr := d.l.Register(fd, poller.Writable, d); rerr != nil {
					unix.Close(fd)
					err = rerr
				} else {
					if d.ls == nil {
						d.ls = stateOf(d.l)
					}
					d.ls.add(d)
					d.waiting = true
					return // Ready goes on
				}
			}
		}
		if d.first == nil {
			d.first = err
		}
	}
	if d.first == nil {
		d.first = errors.New("no address to dial")
	}
	d.give(d.first)
}

// Ready: the connect finished, one way or the other.
func (d *dialer) Ready(poller.Events) {
	if d.done || !d.waiting {
		return
	}
	d.waiting = false
	d.ls.remove(d)
	_ = d.l.Unregister(d.fd)
	if err := soError(d.fd); err != nil {
		unix.Close(d.fd)
		if d.first == nil {
			d.first = err
		}
		d.next()
		return
	}
	d.connected()
}

// connected hands the fd to an EventConn on the loop.
func (d *dialer) connected() {
	d.done = true
	d.timeout.Stop()
	c, err := openEventConn(d.l, d.fd, d.family, d.o, d.h, nil, 0)
	if err != nil {
		unix.Close(d.fd)
		d.p.Reject(&net.OpError{Op: "dial", Net: d.network, Err: err})
		return
	}
	d.p.Resolve(c)
}

// give ends the dial with err, closing a socket still connecting.
func (d *dialer) give(err error) {
	if d.done {
		return
	}
	d.done = true
	d.timeout.Stop()
	if d.waiting {
		d.waiting = false
		d.ls.remove(d)
		_ = d.l.Unregister(d.fd)
		unix.Close(d.fd)
	}
	d.p.Reject(&net.OpError{Op: "dial", Net: d.network, Err: err})
}

// singleflightResult names singleflight's result type for OnSettled.
type singleflightResult = singleflight.Result
