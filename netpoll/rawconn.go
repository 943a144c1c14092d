//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"net"
	"os"
	"syscall"

	"github.com/weftio/weft/fiber"
)

// SyscallConn returns the connection's file descriptor as a
// syscall.RawConn, as *net.TCPConn's does, so system calls the Conn does
// not offer (splice(2), sendfile(2), socket options) run on it with weft's
// readiness waits: RawConn.Read calls f and, while f reports false, parks
// the calling fiber until the socket is readable again; RawConn.Write does
// the same for writable, after anything the Conn's own Writes queued has
// gone out, so bytes keep their order.
//
// f must report false only when the descriptor itself said EAGAIN: the
// connection waits for its next readiness edge, and an EAGAIN from
// elsewhere (a full pipe, say) would wait for an edge that never comes.
//
// Read and Write must be called from fibers of the connection's loop and
// obey the read and write deadlines, Close and the fiber's context like
// Conn's own; Control may be called from any goroutine. After Close every
// call fails with an error matching net.ErrClosed.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return rawConn{c}, nil }

type rawConn struct{ c *Conn }

// Control runs f with the descriptor, on the connection's loop.
func (r rawConn) Control(f func(fd uintptr)) error {
	c := r.c
	return c.onLoop("raw-control", func() error {
		if c.gone {
			return net.ErrClosed
		}
		f(uintptr(c.fd))
		return nil
	})
}

// Read calls f until it reports done, parking between calls until the
// descriptor is readable.
func (r rawConn) Read(f func(fd uintptr) (done bool)) error {
	c := r.c
	ctx := c.self()
	if ctx == nil {
		return c.opErr("raw-read", ErrNotFiber)
	}
	for {
		switch {
		case c.closed:
			return c.opErr("raw-read", net.ErrClosed)
		case c.x != nil && c.x.rdl.expired:
			return c.opErr("raw-read", os.ErrDeadlineExceeded)
		case c.gone:
			return c.opErr("raw-read", syscall.ECONNRESET)
		}
		if c.canRead {
			if f(uintptr(c.fd)) {
				return nil
			}
			c.canRead = false
		}
		if err := fiber.Suspend(ctx, "RawConn.Read", func(w fiber.Waiter) { c.readers = append(c.readers, w) }); err != nil {
			return c.opErr("raw-read", err)
		}
	}
}

// Write calls f until it reports done, parking between calls until the
// descriptor is writable and the Conn's own write queue is empty.
func (r rawConn) Write(f func(fd uintptr) (done bool)) error {
	c := r.c
	ctx := c.self()
	if ctx == nil {
		return c.opErr("raw-write", ErrNotFiber)
	}
	for {
		if err := c.writeCheck(); err != nil {
			return c.opErr("raw-write", err)
		}
		if err := c.settle(); err != nil { // a batched Write goes first
			c.fail(err)
			return c.opErr("raw-write", err)
		}
		if c.canWrite && c.queued() == 0 && len(c.pending) == 0 {
			if f(uintptr(c.fd)) {
				return nil
			}
			c.canWrite = false
		}
		x := c.extra()
		if err := fiber.Suspend(ctx, "RawConn.Write", func(w fiber.Waiter) { x.rawWriters = append(x.rawWriters, w) }); err != nil {
			return c.opErr("raw-write", err)
		}
	}
}

// wakeRawWriters wakes the fibers parked in RawConn.Write, to look again.
func (s *sock) wakeRawWriters() {
	if s.x != nil && len(s.x.rawWriters) > 0 {
		wakeAll(&s.x.rawWriters)
	}
}
