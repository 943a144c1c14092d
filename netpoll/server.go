//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// Server serves stream connections on the callback face: each accepted
// connection lives on one loop of a group, and its Handler's callbacks
// run there, with no goroutine or fiber per connection.
//
// By default one acceptor, on the group's first loop, hands connections
// out (WithBalance: RoundRobin or LeastConns); with WithReusePort every
// loop listens on the address itself (SO_REUSEPORT) and the kernel spreads
// the connections.
type Server struct {
	g        *loop.Group
	h        Handler
	o        options
	network  string
	addr     net.Addr
	acc      []*serverAcceptor
	counts   []atomic.Int64 // open connections per loop
	next     atomic.Uint64
	closeMu  sync.Mutex
	closed   bool
	accepted atomic.Uint64
}

// serverAcceptor is one listening socket of a Server, on one loop.
type serverAcceptor struct {
	listenSock
	s  *Server
	li int // the index of its loop in the group
}

// Serve listens on address (network "tcp", "tcp4", "tcp6" or "unix") and
// serves every connection with h on the loops of g, until Close. A host
// name is resolved before Serve returns. Under WithIOUring (the default on
// Linux) each loop of g gets its io_uring here, one descriptor per loop,
// which it keeps until it closes.
func Serve(g *loop.Group, network, address string, h Handler, opts ...Option) (*Server, error) {
	if !isStream(network) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ep, err := parseAddress(network, address)
	var specs []sockSpec
	if err == nil {
		var addrs []netip.Addr
		if ep.needsLookup() {
			addrs, err = lookupHost(context.Background(), network, ep.host)
		}
		if err == nil {
			specs, err = ep.specs(network, addrs)
		}
	}
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	s := &Server{g: g, h: h, o: makeOptions(opts), network: network, counts: make([]atomic.Int64, g.Len())}
	spec := specs[0]
	n := 1
	if s.o.reusePort && spec.family != unix.AF_UNIX {
		n = g.Len()
	}
	for i := 0; i < n; i++ {
		fd, err := listenSocket(spec, &s.o)
		if err != nil {
			s.Close()
			return nil, &net.OpError{Op: "listen", Net: network, Err: err}
		}
		if i == 0 {
			sa, _ := unix.Getsockname(fd)
			s.addr = addrOf(network, sa)
			spec.sa = sa // the port the system chose, for the other loops
		}
		a := &serverAcceptor{s: s, li: i}
		a.listenSock = listenSock{l: g.Loop(i), fd: fd, family: spec.family, o: &s.o}
		if spec.family == unix.AF_UNIX && i == 0 {
			a.path = s.addr.String()
		}
		s.acc = append(s.acc, a)
		if err := onLoopWait(a.l, func() error { return a.register(a) }); err != nil {
			unix.Close(fd)
			a.closed = true
			s.Close()
			return nil, &net.OpError{Op: "listen", Net: network, Err: err}
		}
	}
	if s.o.ioUring {
		// Each loop's batcher now rather than with its first connection,
		// so that its descriptor is there from the start.
		for i := 0; i < g.Len(); i++ {
			l := g.Loop(i)
			_ = onLoopWait(l, func() error { stateOf(l).batcher(l); return nil })
		}
	}
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Conns returns how many connections are open now, per loop of the group.
func (s *Server) Conns() []int64 {
	out := make([]int64, len(s.counts))
	for i := range s.counts {
		out[i] = s.counts[i].Load()
	}
	return out
}

// Accepted returns how many connections the server has accepted.
func (s *Server) Accepted() uint64 { return s.accepted.Load() }

// Close stops listening and closes every connection the server opened
// (their OnClose runs with net.ErrClosed), and waits until that is done
// on every loop. A second Close returns net.ErrClosed.
func (s *Server) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return net.ErrClosed
	}
	s.closed = true
	s.closeMu.Unlock()
	for _, a := range s.acc {
		_ = onLoopWait(a.l, func() error { a.closeNow(); return nil })
	}
	for i := 0; i < s.g.Len(); i++ {
		l := s.g.Loop(i)
		_ = onLoopWait(l, func() error {
			v, ok := states.Load(l)
			if !ok {
				return nil
			}
			ls := v.(*loopState)
			var mine []*EventConn
			for _, o := range ls.socks {
				if c, ok := o.(*EventConn); ok && c.srv == s {
					mine = append(mine, c)
				}
			}
			for _, c := range mine {
				c.broken("", net.ErrClosed, false)
			}
			return nil
		})
	}
	return nil
}

func (a *serverAcceptor) abort() { a.closeNow() }

func (a *serverAcceptor) closeNow() { _, _ = a.close(a) }

// Ready accepts the waiting connections and hands each to a loop.
func (a *serverAcceptor) Ready(poller.Events) {
	a.canRead = true
	a.acceptAll()
}

func (a *serverAcceptor) acceptAll() {
	s := a.s
	for {
		nfd, err := a.next(a.acceptAll)
		if err != nil {
			// The listening socket is broken: stop accepting; the
			// connections already open go on.
			a.closeNow()
			return
		}
		if nfd < 0 {
			return
		}
		s.accepted.Add(1)
		i := a.pick()
		// Counted now, not when the loop opens it: a burst accepted before
		// the loop gets to its Posts must see the loop's load grow.
		s.counts[i].Add(1)
		l := s.g.Loop(i)
		if l == a.l {
			s.open(i, l, nfd, a.family)
			continue
		}
		family := a.family
		if err := l.Post(func() { s.open(i, l, nfd, family) }); err != nil {
			s.counts[i].Add(-1)
			unix.Close(nfd)
		}
	}
}

// pick chooses the loop for the next connection.
func (a *serverAcceptor) pick() int {
	s := a.s
	if s.o.reusePort && a.family != unix.AF_UNIX {
		return a.li // each loop accepts for itself
	}
	n := s.g.Len()
	if s.o.balance == LeastConns {
		best := 0
		for i := 1; i < n; i++ {
			if s.counts[i].Load() < s.counts[best].Load() {
				best = i
			}
		}
		return best
	}
	return int(s.next.Add(1)-1) % n
}

// open puts an accepted fd on loop i, already counted there. Loop
// goroutine of l only.
func (s *Server) open(i int, l *loop.Loop, fd, family int) {
	if _, err := openEventConn(l, fd, family, &s.o, s.h, s, i); err != nil {
		s.counts[i].Add(-1)
		unix.Close(fd)
	}
}
