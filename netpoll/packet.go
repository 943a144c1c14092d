//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// PacketConn is a datagram socket (UDP or a Unix datagram socket) on a
// loop, a net.PacketConn. On the fiber face (ListenPacket) ReadFrom parks
// the calling fiber until a datagram arrives and WriteTo parks it while
// the kernel's send buffer is full. On the callback face (ServePacket)
// every datagram goes to the handler instead, and ReadFrom is an error.
//
// Datagrams are not queued in user space: the kernel's buffers are the
// queue. A WriteTo on the callback face, or from a task of the loop, that
// finds the send buffer full returns ErrQueueFull and sends nothing. Close,
// the deadline setters and WriteTo may be called from any goroutine
// (WriteTo then blocks that goroutine while the buffer is full).
type PacketConn struct {
	fd       int
	l        *loop.Loop
	network  string
	laddr    net.Addr
	on       func(pc *PacketConn, data []byte, from net.Addr)
	ls       *loopState
	at       int32
	canRead  bool
	canWrite bool
	closed   bool
	readers  []fiber.Waiter
	writers  []fiber.Waiter
	remote   []chan packetTry // goroutines waiting for the send buffer
	rdl, wdl deadline
}

var _ net.PacketConn = (*PacketConn)(nil)

// maxDatagram is the largest datagram a read takes whole.
const maxDatagram = 64 << 10

// ListenPacket opens a datagram socket bound to address ("udp", "udp4",
// "udp6": "host:port"; "unixgram": a path) on the loop of the calling
// fiber, whose context ctx is. Only a fiber may call it.
func ListenPacket(ctx context.Context, network, address string, opts ...Option) (*PacketConn, error) {
	l := fiber.Loop(ctx)
	if !isPacket(network) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	specs, err := resolveIn(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	o := makeOptions(opts)
	return openPacket(l, network, specs[0], &o, nil)
}

// ServePacket opens a datagram socket bound to address on l and calls h on
// l for every datagram received, with its sender; data is valid only
// until h returns. Any goroutine may call it; a host name is resolved
// before it returns.
func ServePacket(l *loop.Loop, network, address string, h func(pc *PacketConn, data []byte, from net.Addr), opts ...Option) (*PacketConn, error) {
	if !isPacket(network) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	if h == nil {
		panic("netpoll: ServePacket with a nil handler")
	}
	specs, err := resolveNow(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	o := makeOptions(opts)
	var pc *PacketConn
	err = onLoopWait(l, func() error {
		var err error
		pc, err = openPacket(l, network, specs[0], &o, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pc, nil
}

// resolveNow parses address and resolves a host name on the calling
// goroutine (not a loop).
func resolveNow(network, address string) ([]sockSpec, error) {
	ep, err := parseAddress(network, address)
	if err != nil {
		return nil, err
	}
	if !ep.needsLookup() {
		return ep.specs(network, nil)
	}
	addrs, err := lookupHost(context.Background(), network, ep.host)
	if err != nil {
		return nil, err
	}
	return ep.specs(network, addrs)
}

func openPacket(l *loop.Loop, network string, spec sockSpec, o *options, h func(*PacketConn, []byte, net.Addr)) (*PacketConn, error) {
	fd, err := listenSocket(spec, o)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	pc := &PacketConn{fd: fd, l: l, network: network, on: h, canRead: true, canWrite: true}
	if sa, err := unix.Getsockname(fd); err == nil {
		pc.laddr = addrOf(network, sa)
	}
	if err := l.Register(fd, poller.Readable|poller.Writable, pc); err != nil {
		unix.Close(fd)
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	pc.ls = stateOf(l)
	pc.ls.add(pc)
	return pc, nil
}

func (pc *PacketConn) index() *int32 { return &pc.at }
func (pc *PacketConn) abort()        { pc.closeNow() }

// Ready is the poller's readiness callback. Loop goroutine only.
func (pc *PacketConn) Ready(ev poller.Events) {
	if pc.closed {
		return
	}
	if ev&(poller.Writable|poller.Error) != 0 {
		pc.canWrite = true
		pc.wakeWriters()
	}
	if ev&(poller.Readable|poller.Error|poller.HangUp) != 0 {
		pc.canRead = true
		if pc.on == nil {
			wakeAll(&pc.readers)
			return
		}
		pc.serve()
	}
}

// serve hands the waiting datagrams to the handler, a bounded number per
// event (the rest go to the back of the loop's queue: pc is its own Job).
func (pc *PacketConn) serve() {
	buf := pc.ls.readBuf()
	for i := 0; i < maxReadsPerEvent; i++ {
		if pc.closed || !pc.canRead {
			return
		}
		n, from, err := unix.Recvfrom(pc.fd, buf, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			pc.canRead = false
			return
		case err != nil:
			continue // ICMP errors surface here on some systems: not fatal
		}
		pc.on(pc, buf[:n], addrOf(pc.network, from))
	}
	if pc.canRead && !pc.closed {
		pc.l.ScheduleJob(pc)
	}
}

// Run continues serve after an event used its share.
func (pc *PacketConn) Run() { pc.serve() }

func (pc *PacketConn) opErr(op string, addr net.Addr, err error) error {
	if err == nil {
		return nil
	}
	return &net.OpError{Op: op, Net: pc.network, Source: pc.laddr, Addr: addr, Err: err}
}

// ReadFrom parks the calling fiber until a datagram arrives, and copies it
// into b (a longer datagram is truncated, as with recvfrom). Fiber face
// only: a fiber of the socket's loop must call it.
func (pc *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	ctx := fiber.Self(pc.l)
	if ctx == nil || pc.on != nil {
		return 0, nil, pc.opErr("read", nil, ErrNotFiber)
	}
	for {
		switch {
		case pc.closed:
			return 0, nil, pc.opErr("read", nil, net.ErrClosed)
		case pc.rdl.expired:
			return 0, nil, pc.opErr("read", nil, os.ErrDeadlineExceeded)
		}
		if pc.canRead {
			n, from, err := unix.Recvfrom(pc.fd, b, 0)
			switch {
			case err == nil:
				return n, addrOf(pc.network, from), nil
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				pc.canRead = false
			default:
				return 0, nil, pc.opErr("read", nil, os.NewSyscallError("recvfrom", err))
			}
		}
		if err := fiber.Suspend(ctx, "PacketConn.ReadFrom", func(w fiber.Waiter) { pc.readers = append(pc.readers, w) }); err != nil {
			return 0, nil, pc.opErr("read", nil, err)
		}
	}
}

// WriteTo sends b as one datagram to addr (a *net.UDPAddr or
// *net.UnixAddr). A fiber parks while the send buffer is full; another
// goroutine blocks; the loop's own tasks and handlers get ErrQueueFull.
func (pc *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	sa, err := sockaddrOfAddr(addr)
	if err != nil {
		return 0, pc.opErr("write", addr, err)
	}
	if !pc.l.OnLoop() {
		return pc.writeRemote(b, sa, addr)
	}
	ctx := fiber.Self(pc.l)
	for {
		n, done, err := pc.tryWrite(b, sa)
		if done || err != nil {
			return n, pc.opErr("write", addr, err)
		}
		if ctx == nil {
			return 0, pc.opErr("write", addr, ErrQueueFull)
		}
		if err := fiber.Suspend(ctx, "PacketConn.WriteTo", func(w fiber.Waiter) { pc.writers = append(pc.writers, w) }); err != nil {
			return 0, pc.opErr("write", addr, err)
		}
	}
}

// tryWrite makes one attempt: done once the datagram is sent or failed.
func (pc *PacketConn) tryWrite(b []byte, sa unix.Sockaddr) (int, bool, error) {
	switch {
	case pc.closed:
		return 0, true, net.ErrClosed
	case pc.wdl.expired:
		return 0, true, os.ErrDeadlineExceeded
	}
	for pc.canWrite {
		err := unix.Sendto(pc.fd, b, 0, sa)
		switch {
		case err == nil:
			return len(b), true, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN || err == unix.ENOBUFS:
			pc.canWrite = false
		default:
			return 0, true, os.NewSyscallError("sendto", err)
		}
	}
	return 0, false, nil
}

// packetTry is the outcome of a WriteTo attempt made for a goroutine.
type packetTry struct {
	n    int
	done bool
	err  error
}

// wakeWriters wakes the fibers and goroutines waiting to send.
func (pc *PacketConn) wakeWriters() {
	wakeAll(&pc.writers)
	for _, ch := range pc.remote {
		ch <- packetTry{}
	}
	pc.remote = pc.remote[:0]
}

// writeRemote is WriteTo from outside the loop: each attempt runs on the
// loop; while the send buffer is full the goroutine waits for it.
func (pc *PacketConn) writeRemote(b []byte, sa unix.Sockaddr, addr net.Addr) (int, error) {
	ch := make(chan packetTry, 1)
	for {
		if err := pc.l.Post(func() {
			n, done, err := pc.tryWrite(b, sa)
			if done || err != nil {
				ch <- packetTry{n, true, err}
				return
			}
			pc.remote = append(pc.remote, ch)
		}); err != nil {
			return 0, pc.opErr("write", addr, net.ErrClosed)
		}
		if r := <-ch; r.done {
			return r.n, pc.opErr("write", addr, r.err)
		}
	}
}

// sockaddrOfAddr converts a UDP or Unix address to the kernel's form.
func sockaddrOfAddr(a net.Addr) (unix.Sockaddr, error) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		s, err := specOf("udp", ap, "")
		return s.sa, err
	case *net.UnixAddr:
		return &unix.SockaddrUnix{Name: a.Name}, nil
	case nil:
		return nil, errMissingAddress
	}
	return nil, &net.AddrError{Err: "not a datagram address", Addr: a.String()}
}

var errMissingAddress = &net.AddrError{Err: "missing address"}

// Close closes the socket: parked ReadFroms and WriteTos return
// net.ErrClosed. Any goroutine may call it.
func (pc *PacketConn) Close() error {
	if err := onLoopWait(pc.l, pc.closeNow); err != nil {
		return pc.opErr("close", nil, err)
	}
	return nil
}

func (pc *PacketConn) closeNow() error {
	if pc.closed {
		return net.ErrClosed
	}
	pc.closed = true
	pc.rdl.stop()
	pc.wdl.stop()
	pc.ls.remove(pc)
	_ = pc.l.Unregister(pc.fd)
	err := unix.Close(pc.fd)
	if pc.network == "unixgram" && pc.laddr != nil {
		if p := pc.laddr.String(); p != "" {
			_ = os.Remove(p)
		}
	}
	wakeAll(&pc.readers)
	pc.wakeWriters()
	return os.NewSyscallError("close", err)
}

// LocalAddr returns the address the socket is bound to.
func (pc *PacketConn) LocalAddr() net.Addr { return pc.laddr }

// SetDeadline sets the read and write deadlines.
func (pc *PacketConn) SetDeadline(t time.Time) error {
	return pc.setDeadlines(t, true, true)
}

// SetReadDeadline sets the deadline for ReadFrom.
func (pc *PacketConn) SetReadDeadline(t time.Time) error { return pc.setDeadlines(t, true, false) }

// SetWriteDeadline sets the deadline for WriteTo.
func (pc *PacketConn) SetWriteDeadline(t time.Time) error { return pc.setDeadlines(t, false, true) }

func (pc *PacketConn) setDeadlines(t time.Time, r, w bool) error {
	return onLoopWait(pc.l, func() error {
		if pc.closed {
			return pc.opErr("set", nil, net.ErrClosed)
		}
		if pc.rdl.fire == nil {
			pc.rdl.init(pc.l, func() { wakeAll(&pc.readers) })
			pc.wdl.init(pc.l, pc.wakeWriters)
		}
		if r {
			setLoopDeadline(pc.l, &pc.rdl, t)
		}
		if w {
			setLoopDeadline(pc.l, &pc.wdl, t)
		}
		return nil
	})
}
