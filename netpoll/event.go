//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"errors"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// Handler is the callback face of a connection: its methods run on the
// connection's loop, one at a time, with no goroutine or fiber per
// connection.
type Handler interface {
	// OnOpen runs once the connection is on its loop, before any OnData.
	OnOpen(c *EventConn)
	// OnData delivers bytes read. data lives in the loop's read buffer: it
	// is valid only until OnData returns (copy what you keep).
	OnData(c *EventConn, data []byte)
	// OnClose runs once when the connection is gone: err is nil after
	// Close, io.EOF when the peer closed its side (and the handler is not
	// a HalfCloser), net.ErrClosed when its server closed, or the error
	// that broke it.
	OnClose(c *EventConn, err error)
}

// A Drainer is told when a connection's write queue, after reaching the
// high watermark, has drained to the low watermark: writes are accepted
// again and reading has resumed.
type Drainer interface {
	OnDrain(c *EventConn)
}

// A HalfCloser is told when the peer has closed its writing side (EOF)
// instead of having the connection closed: it may still write, then
// Close.
type HalfCloser interface {
	OnReadEOF(c *EventConn)
}

// Handlers is a Handler made of functions; a nil one does nothing.
type Handlers struct {
	Open  func(c *EventConn)
	Data  func(c *EventConn, data []byte)
	Close func(c *EventConn, err error)
}

// OnOpen calls h.Open.
func (h Handlers) OnOpen(c *EventConn) {
	if h.Open != nil {
		h.Open(c)
	}
}

// OnData calls h.Data.
func (h Handlers) OnData(c *EventConn, data []byte) {
	if h.Data != nil {
		h.Data(c, data)
	}
}

// OnClose calls h.Close.
func (h Handlers) OnClose(c *EventConn, err error) {
	if h.Close != nil {
		h.Close(c, err)
	}
}

// ErrQueueFull is returned by EventConn.Write on the loop when the
// connection's write queue is at its high watermark (WithWatermarks):
// nothing was taken; wait for OnDrain (Drainer).
var ErrQueueFull = errors.New("netpoll: write queue at its high watermark")

// EventConn is the callback face of a stream connection. Its methods are
// for the connection's loop (inside its handler's callbacks, or tasks
// of that loop), except Write and Close, which any goroutine may call.
type EventConn struct {
	sock
	h     Handler
	srv   *Server // the server that accepted it, or nil
	li    int32   // the index of its loop in srv's group
	eof   bool    // the peer closed its side
	readQ bool    // waiting in the batcher's read queue
	value any
}

// maxReadsPerEvent bounds the reads one readiness event makes before the
// connection goes to the back of the loop's queue: one busy connection
// cannot starve the others.
const maxReadsPerEvent = 16

// openEventConn wraps a connected fd on l, registers it and runs OnOpen.
// Loop goroutine only.
func openEventConn(l *loop.Loop, fd, family int, o *options, h Handler, srv *Server, li int) (*EventConn, error) {
	c := &EventConn{h: h, srv: srv, li: int32(li)}
	if err := c.sock.init(l, c, fd, family, o); err != nil {
		return nil, err
	}
	h.OnOpen(c)
	return c, nil
}

// abort ends the connection when its loop closes.
func (c *EventConn) abort() { c.broken("", net.ErrClosed, false) }

// Ready is the poller's readiness callback. Loop goroutine only.
func (c *EventConn) Ready(ev poller.Events) {
	if c.gone {
		return
	}
	if ev&(poller.Writable|poller.HangUp|poller.Error) != 0 {
		c.canWrite = true
		c.written()
	}
	if ev&(poller.Readable|poller.HangUp|poller.Error) != 0 {
		c.readable(ev)
		c.readSome()
	}
}

// Run continues reading after a readiness event used up its share: the
// connection is its own loop.Job.
func (c *EventConn) Run() { c.readSome() }

// readSome reads what the last readiness event announced: through the
// loop's batcher, or with read(2) (readDirect).
func (c *EventConn) readSome() {
	if !c.batching() {
		c.readDirect()
	} else if c.wantsRead() {
		c.ls.bat.read(c)
	}
}

// wantsRead reports whether a read may find data and its delivery is
// wanted.
func (c *EventConn) wantsRead() bool {
	return c.canRead && !c.gone && !c.closed && !c.paused && !c.eof
}

// readDirect reads with read(2) into the loop's buffer, at most
// maxReadsPerEvent times.
func (c *EventConn) readDirect() {
	buf := c.ls.readBuf()
	for i := 0; i < maxReadsPerEvent; i++ {
		if !c.wantsRead() {
			return
		}
		n, err := unix.Read(c.fd, buf)
		if !c.took(buf, n, err) {
			return
		}
	}
	if c.canRead && !c.gone && !c.closed && !c.paused {
		c.l.ScheduleJob(c)
	}
}

// took handles what one read into buf returned, by read(2) or a batched
// recv (sysResult): the data goes to OnData, the end of the stream to
// readEOF, an error breaks the connection. It reports whether reading may
// go on (data, or EINTR).
func (c *EventConn) took(buf []byte, n int, err error) bool {
	switch {
	case err == unix.EINTR:
		return true
	case err == unix.EAGAIN:
		c.canRead = false
		return false
	case err != nil:
		c.broken("read", os.NewSyscallError("read", err), false)
		return false
	case n == 0:
		c.readEOF()
		return false
	}
	if n < len(buf) {
		c.shortRead()
	}
	c.h.OnData(c, buf[:n])
	return true
}

// readEOF handles the end of the peer's stream.
func (c *EventConn) readEOF() {
	c.eof = true
	if hc, ok := c.h.(HalfCloser); ok {
		hc.OnReadEOF(c)
	} else {
		c.closeWith(io.EOF, false)
	}
}

// received delivers a batched recv's result res (bytes read into buf, or
// minus an errno), as readDirect does one read's; the connection queues
// for the next recv while it may have more. Loop goroutine only.
func (c *EventConn) received(buf []byte, res int32) {
	if c.gone || c.closed {
		return
	}
	if res == notSubmitted {
		c.readDirect()
		return
	}
	n, err := sysResult(res)
	if !c.took(buf, n, err) || !c.wantsRead() {
		return
	}
	if err == nil {
		// The recv filled its buffer: a stream, not a message. Go on with
		// plain reads into the loop's 64 KiB buffer, four times the 16 KiB
		// a batched recv takes.
		c.readDirect()
		return
	}
	c.ls.bat.read(c) // EINTR: again
}

// sent takes a batched send's result (batchee). It runs no handler
// code: the batcher is still taking the cycle's other results, which a
// handler's Close or Write would disturb, so OnClose after a failed send
// comes as a microtask.
func (c *EventConn) sent(p []byte, res int32) {
	if err := c.sentRest(p, res); err != nil {
		c.broken("write", err, true)
	}
}

// written drains the queue on write readiness (sock.drain); once it is at
// the low mark, reading resumes and a Drainer is told.
func (c *EventConn) written() {
	if err := c.drain(); err != nil {
		c.broken("write", err, false)
		return
	}
	if c.gone {
		return
	}
	if c.paused && c.queued() <= c.o.lowWater && len(c.pending) == 0 {
		c.paused = false
		if d, ok := c.h.(Drainer); ok {
			d.OnDrain(c)
		}
		if c.canRead {
			c.l.ScheduleJob(c)
		}
	}
}

// Write sends b. On the loop it never waits: what the kernel does not take
// at once is queued, and the call returns len(b), nil; if the queue is
// already at its high watermark it takes nothing and returns ErrQueueFull
// (reading is paused until the queue drains; a Drainer is told then). From
// any other goroutine, Write copies nothing and blocks that goroutine
// until b is accepted, in order with other writes.
func (c *EventConn) Write(b []byte) (int, error) {
	if !c.l.OnLoop() {
		return c.sock.writeRemote(c, b)
	}
	if err := c.writeCheck(); err != nil {
		return 0, c.opErr("write", err)
	}
	if c.full() {
		c.paused = true
		return 0, ErrQueueFull
	}
	var n int
	var err error
	if c.batching() && c.batchWrite(c, b) {
		n = len(b)
	} else if err = c.settle(); err == nil {
		n, err = c.offer(b, true)
	}
	if err != nil {
		c.broken("write", err, true) // inside the handler's Write
		return n, c.opErr("write", err)
	}
	if c.queued() >= c.o.highWater {
		c.paused = true
	}
	return n, nil
}

func (c *EventConn) writeCheck() error {
	switch {
	case c.closed || c.wrShut:
		return net.ErrClosed
	case c.gone:
		return unix.EPIPE
	}
	return nil
}

// writeFailed and waiting complete EventConn's face (writeRemote): a
// write waiting for room pauses reading, as a refused one does.
func (c *EventConn) writeFailed(err error) { c.broken("write", err, false) }
func (c *EventConn) waiting()              { c.paused = true }

// Close closes the connection: OnClose runs (with a nil error), and data
// already queued is still sent, within the linger time, before FIN. Any
// goroutine may call it.
func (c *EventConn) Close() error {
	if !c.l.OnLoop() {
		if err := c.l.Post(func() { c.closeWith(nil, false) }); err != nil {
			return c.opErr("close", net.ErrClosed)
		}
		return nil
	}
	if c.closed {
		return c.opErr("close", net.ErrClosed)
	}
	c.closeWith(nil, true)
	return nil
}

// CloseWrite shuts the writing side once the queue is sent: the peer
// reads EOF. Loop goroutine only.
func (c *EventConn) CloseWrite() error {
	if c.closed || c.gone {
		return c.opErr("close", net.ErrClosed)
	}
	if err := c.settle(); err != nil {
		c.broken("write", err, true)
		return c.opErr("write", err)
	}
	c.wrShut = true
	c.failPending(net.ErrClosed)
	return c.opErr("close", c.shutdownWrite())
}

// closeWith ends the connection for the user (OnClose with err) and
// closes the fd once the queue is sent. later: see notify.
func (c *EventConn) closeWith(err error, later bool) {
	if c.closed {
		return
	}
	c.closed = true
	c.failPending(net.ErrClosed)
	c.closeGracefully()
	c.ended()
	c.notify(err, later)
}

// notify runs OnClose: at once when the loop found the connection gone
// (a readiness event, a server closing), or, with later, as a microtask
// when a call of the handler's own (Close, Write) ended it, so that OnClose
// never runs inside that call (it runs when the callback that made it
// returns).
func (c *EventConn) notify(err error, later bool) {
	if later {
		c.l.Microtask(func() { c.h.OnClose(c, err) })
		return
	}
	c.h.OnClose(c, err)
}

// broken ends a connection the kernel reported broken in op ("read" or
// "write"), or that its server or loop closed (net.ErrClosed): reset,
// nothing more to send.
func (c *EventConn) broken(op string, err error, later bool) {
	if c.closed {
		c.release(true)
		return
	}
	if err != net.ErrClosed {
		err = c.opErr(op, err) // before release: the addresses are still there
	}
	c.closed = true
	c.failPending(err)
	c.release(true)
	c.ended()
	c.notify(err, later)
}

// ended takes the connection off its server's count.
func (c *EventConn) ended() {
	if c.srv != nil {
		c.srv.counts[c.li].Add(-1)
	}
}

// Loop returns the connection's loop.
func (c *EventConn) Loop() *loop.Loop { return c.l }

// Value returns the value set by SetValue: per-connection state for the
// handler.
func (c *EventConn) Value() any { return c.value }

// SetValue keeps v with the connection. Loop goroutine only.
func (c *EventConn) SetValue(v any) { c.value = v }

// LocalAddr returns the local address. Loop goroutine only.
func (c *EventConn) LocalAddr() net.Addr { a, _ := c.addrPair(); return a }

// RemoteAddr returns the peer's address. Loop goroutine only.
func (c *EventConn) RemoteAddr() net.Addr { _, a := c.addrPair(); return a }

// Queued returns how many bytes wait in the write queue. Loop goroutine
// only.
func (c *EventConn) Queued() int { return c.queued() }
