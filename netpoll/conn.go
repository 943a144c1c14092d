//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// Conn is the fiber face of a stream connection (TCP or Unix): a net.Conn
// whose Read parks the calling fiber until data arrives and whose Write
// parks it until the data is accepted, on the loop the connection belongs
// to. bufio, crypto/tls and net/http's ReadRequest and ReadResponse work
// over it unchanged.
//
// Read and Write must be called from fibers of the connection's loop.
// Write, Close, CloseWrite and the deadline setters may also be called
// from any other goroutine: Write then blocks that goroutine (never the
// loop) until the data is accepted, and writes keep their order. A Read
// from outside the loop's fibers fails with ErrNotFiber.
//
// Deadlines run on the loop's timers, on its clock (virtual time
// included). Errors are *net.OpError values: errors.Is works with
// net.ErrClosed, os.ErrDeadlineExceeded, the context's error (a parked
// Read or Write also wakes when its fiber's context is cancelled) and the
// errno.
type Conn struct {
	sock
	readers []fiber.Waiter // fibers parked in Read, or the one in Dial until connected
	// The buffer of the fiber parked alone in Read, for a batched recv,
	// and once that is made (rdone) its result in rlen. A pointer and a
	// length rather than a slice keep Conn in a 160-byte size class.
	rbuf    *byte
	rlen    int32
	dialing bool
	readQ   bool // waiting in the batcher's read queue
	rdone   bool
}

// ErrNotFiber is returned by a Conn's Read, and by Accept, when the caller
// is not a fiber of the connection's loop.
var ErrNotFiber = errors.New("netpoll: not called from a fiber of the connection's loop")

var _ net.Conn = (*Conn)(nil)

// newConn wraps a connected fd and registers it on l. Loop goroutine only.
func newConn(l *loop.Loop, fd int, family int, o *options) (*Conn, error) {
	c := &Conn{}
	if err := c.sock.init(l, c, fd, family, o); err != nil {
		return nil, err
	}
	return c, nil
}

// abort ends the connection when its loop closes.
func (c *Conn) abort() { c.fail(net.ErrClosed) }

// Ready is the poller's readiness callback. Loop goroutine only.
func (c *Conn) Ready(ev poller.Events) {
	if c.gone {
		return
	}
	if ev&(poller.Readable|poller.HangUp|poller.Error) != 0 {
		c.readable(ev)
		if c.rbuf != nil && len(c.readers) == 1 {
			c.ls.bat.read(c) // its fiber wakes with what the recv got
		} else {
			wakeAll(&c.readers)
		}
	}
	if ev&(poller.Writable|poller.HangUp|poller.Error) != 0 {
		c.canWrite = true
		if c.dialing {
			wakeAll(&c.readers) // Dial's fiber
			return
		}
		if err := c.drain(); err != nil {
			c.fail(err)
		}
		c.wakeRawWriters()
	}
}

// fail closes the connection after a write error: every waiter sees it.
func (c *Conn) fail(err error) {
	c.failPending(err)
	c.release(true)
	wakeAll(&c.readers)
	c.wakeRawWriters()
}

func wakeAll(ws *[]fiber.Waiter) {
	for _, w := range *ws {
		w.Wake()
	}
	*ws = (*ws)[:0]
}

// self returns the calling fiber's context, or nil.
func (c *Conn) self() context.Context { return fiber.Self(c.l) }

// Read reads into b, parking the calling fiber until data, EOF, an error,
// the read deadline or Close.
func (c *Conn) Read(b []byte) (int, error) {
	ctx := c.self()
	if ctx == nil {
		return 0, c.opErr("read", ErrNotFiber)
	}
	for {
		switch {
		case c.closed:
			return 0, c.opErr("read", net.ErrClosed)
		case c.x != nil && c.x.rdl.expired:
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		case c.gone:
			return 0, c.opErr("read", unix.ECONNRESET)
		case len(b) == 0:
			return 0, nil
		}
		if c.canRead {
			n, err := unix.Read(c.fd, b)
			if err == unix.EINTR {
				continue
			}
			if n, err, done := c.readDone(b, n, err); done {
				return n, err
			}
		}
		// Alone, the fiber waits for a batched recv into b: on the next
		// readiness event the batcher reads, then wakes it (received).
		batched := c.batching() && c.rbuf == nil && len(c.readers) == 0
		if batched {
			c.rbuf, c.rlen = unsafe.SliceData(b), int32(min(len(b), math.MaxInt32))
		}
		err := fiber.Suspend(ctx, "Conn.Read", func(w fiber.Waiter) { c.readers = append(c.readers, w) })
		if batched {
			res, made := c.rlen, c.rdone
			c.rbuf, c.rlen, c.rdone = nil, 0, false
			if made { // even if err is set: the bytes are in b
				n, rerr := sysResult(res)
				if n, rerr, done := c.readDone(b, n, rerr); done {
					return n, rerr
				}
			}
		}
		if err != nil {
			return 0, c.opErr("read", err)
		}
	}
}

// readDone takes what a read into b returned, by read(2) or a batched
// recv (sysResult): done with the count, io.EOF or the error to return,
// or not done (EAGAIN: wait for data; EINTR: try again).
func (c *Conn) readDone(b []byte, n int, err error) (int, error, bool) {
	switch {
	case err == nil && n == 0:
		return 0, io.EOF, true
	case err == nil:
		if n < len(b) {
			c.shortRead()
		}
		return n, nil, true
	case err == unix.EINTR:
		return 0, nil, false
	case err == unix.EAGAIN:
		c.canRead = false
		return 0, nil, false
	}
	return 0, c.opErr("read", os.NewSyscallError("read", err)), true
}

// wantsRead, recvBuf and received complete Conn's batchee: a recv goes
// into the buffer of the fiber parked in Read, if it still waits alone.
func (c *Conn) wantsRead() bool {
	return c.rbuf != nil && !c.rdone && len(c.readers) == 1 && c.canRead && !c.closed && !c.gone
}

func (c *Conn) recvBuf() []byte { return unsafe.Slice(c.rbuf, c.rlen) }

// skipRead wakes the readers when a queued recv is no longer wanted: the
// readiness event that queued it may have been meant for a reader that
// parked after the batched one was woken (its rbuf still set until it
// runs), and that reader must look for itself.
func (c *Conn) skipRead()         { wakeAll(&c.readers) }
func (c *Conn) readQueued() *bool { return &c.readQ }

func (c *Conn) received(_ []byte, res int32) {
	if c.rbuf == nil {
		return // not expected: the fiber left Read with its recv queued
	}
	c.rlen, c.rdone = res, true
	wakeAll(&c.readers)
}

// sent takes a batched send's result (batchee).
func (c *Conn) sent(p []byte, res int32) {
	if err := c.sentRest(p, res); err != nil {
		c.fail(err)
	}
}

// Write writes b, parking the calling fiber (or blocking the calling
// goroutine, outside the loop's fibers) while the write queue is at its
// high watermark, until all of b is accepted, the write deadline passes
// or the connection closes. Accepted data is sent even if Close follows
// at once (within the linger time, WithLinger).
func (c *Conn) Write(b []byte) (int, error) {
	ctx := c.self()
	if ctx == nil {
		if c.l.OnLoop() {
			return 0, c.opErr("write", ErrNotFiber) // a plain task would block its own loop
		}
		return c.sock.writeRemote(c, b)
	}
	if c.batching() && c.writeCheck() == nil && !c.full() && c.batchWrite(c, b) {
		return len(b), nil
	}
	n, over, err := c.tryWrite(c, b)
	if over {
		return n, c.opErr("write", err)
	}
	// Wait in line for room, behind earlier writes.
	r := &writeReq{b: b, n: n, active: true}
	c.pending = append(c.pending, r)
	if err := fiber.Suspend(ctx, "Conn.Write", func(w fiber.Waiter) { r.fw = w }); err != nil {
		r.active = false
		return r.n, c.opErr("write", err)
	}
	return r.n, c.opErr("write", r.err)
}

// writeCheck returns why a write cannot start, or nil.
func (c *Conn) writeCheck() error {
	switch {
	case c.closed || c.wrShut:
		return net.ErrClosed
	case c.x != nil && c.x.wdl.expired:
		return os.ErrDeadlineExceeded
	case c.gone:
		return unix.EPIPE
	}
	return nil
}

// writeFailed and waiting complete Conn's face (writeRemote).
func (c *Conn) writeFailed(err error) { c.fail(err) }
func (*Conn) waiting()                {}

// Close closes the connection: parked Reads and Writes return
// net.ErrClosed, and data already accepted is still sent, within the
// linger time (WithLinger), before the socket closes with FIN. Any
// goroutine may call it; a second Close returns an error matching
// net.ErrClosed.
func (c *Conn) Close() error {
	return c.onLoop("close", func() error {
		if c.closed {
			return net.ErrClosed
		}
		c.closed = true
		if c.x != nil {
			c.x.rdl.stop()
			c.x.wdl.stop()
		}
		c.failPending(net.ErrClosed)
		wakeAll(&c.readers)
		c.wakeRawWriters()
		c.closeGracefully()
		return nil
	})
}

// CloseWrite shuts down the writing side once the queued data is sent:
// the peer reads EOF, and this side can still read.
func (c *Conn) CloseWrite() error {
	return c.onLoop("close", func() error {
		if c.closed || c.gone {
			return net.ErrClosed
		}
		if err := c.settle(); err != nil {
			c.fail(err)
			return err
		}
		c.wrShut = true
		c.failPending(net.ErrClosed)
		c.wakeRawWriters()
		return c.shutdownWrite()
	})
}

// SetLinger sets how Close treats data not yet sent: sec < 0 keeps the
// default (send it within the linger time), 0 drops it and resets the
// connection, sec > 0 bounds the sending to sec seconds.
func (c *Conn) SetLinger(sec int) error {
	return c.onLoop("set", func() error {
		o := *c.o
		if sec >= 0 {
			o.linger = time.Duration(sec) * time.Second
		} else {
			o.linger = DefaultLinger
		}
		c.o = &o
		return nil
	})
}

// onLoop runs f on the connection's loop: directly when the caller is on
// it, else by Post, waiting for the result.
func (c *Conn) onLoop(op string, f func() error) error {
	err := onLoopWait(c.l, func() error { return c.opErr(op, f()) })
	if _, made := err.(*net.OpError); err != nil && !made {
		return c.opErr(op, err) // the loop is closed: Post refused
	}
	return err
}

// LocalAddr returns the local address (a *net.TCPAddr or *net.UnixAddr).
func (c *Conn) LocalAddr() net.Addr {
	var a net.Addr
	_ = c.onLoop("addr", func() error { a, _ = c.addrPair(); return nil })
	return a
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	var a net.Addr
	_ = c.onLoop("addr", func() error { _, a = c.addrPair(); return nil })
	return a
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if c.l.OnLoop() {
		c.setDeadline(false, t)
		c.setDeadline(true, t)
		return nil
	}
	return c.onLoop("set", func() error {
		c.setDeadline(false, t)
		c.setDeadline(true, t)
		return nil
	})
}

// SetReadDeadline sets the deadline for Reads, now and future ones; the
// zero time means none. A Read parked when it passes returns an error
// matching os.ErrDeadlineExceeded, and so does every Read until the
// deadline is moved.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.l.OnLoop() { // a fiber of the loop: no closure, no hop
		c.setDeadline(false, t)
		return nil
	}
	return c.onLoop("set", func() error { c.setDeadline(false, t); return nil })
}

// SetWriteDeadline sets the deadline for Writes; see SetReadDeadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.l.OnLoop() {
		c.setDeadline(true, t)
		return nil
	}
	return c.onLoop("set", func() error { c.setDeadline(true, t); return nil })
}

// setDeadline sets the read or the write deadline. The deadlines live in
// the socket's extras, made on the first deadline set: most connections
// never have one, and 56 bytes per connection is what separates the
// fiber face's idle footprint from net's (docs/netpoll.md).
func (c *Conn) setDeadline(write bool, t time.Time) {
	if c.closed || (c.x == nil && t.IsZero()) {
		return
	}
	x := c.extra()
	if x.rdl.fire == nil {
		x.rdl.init(c.l, c.wakeReaders)
		x.wdl.init(c.l, c.wakeWriters)
	}
	if write {
		setLoopDeadline(c.l, &x.wdl, t)
	} else {
		setLoopDeadline(c.l, &x.rdl, t)
	}
}

// wakeReaders and wakeWriters are what a passing deadline wakes.
func (c *Conn) wakeReaders() { wakeAll(&c.readers) }

func (c *Conn) wakeWriters() {
	c.failPending(os.ErrDeadlineExceeded)
	c.wakeRawWriters()
}

// SetNoDelay sets TCP_NODELAY (on by default).
func (c *Conn) SetNoDelay(on bool) error {
	return c.onLoop("set", func() error {
		if c.gone {
			return net.ErrClosed
		}
		return setNoDelay(c.fd, on)
	})
}

// SetKeepAlive sets the keep-alive period; negative turns it off.
func (c *Conn) SetKeepAlive(d time.Duration) error {
	return c.onLoop("set", func() error {
		if c.gone {
			return net.ErrClosed
		}
		return setKeepAlive(c.fd, d)
	})
}

// Loop returns the loop the connection belongs to.
func (c *Conn) Loop() *loop.Loop { return c.l }
