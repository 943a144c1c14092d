//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

// Dial connects to address on network ("tcp", "tcp4", "tcp6", "unix") from
// the calling fiber, whose context ctx is, and returns the connection on
// that fiber's loop. The connect is non-blocking: the fiber parks until
// the kernel reports the outcome, ctx is done or the dial timeout
// (WithDialTimeout) passes, while the loop goes on. A host name is
// resolved on the offload pool (look-ups for the same name merged) and
// its addresses are tried in order. Only a fiber may call Dial.
func Dial(ctx context.Context, network, address string, opts ...Option) (*Conn, error) {
	l := fiber.Loop(ctx)
	if !isStream(network) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	o := makeOptions(opts)
	if o.dialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = loopTimeout(ctx, l, o.dialTimeout)
		defer cancel()
	}
	specs, err := resolveIn(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var first error
	for _, spec := range specs {
		c, err := dialOne(ctx, l, spec, &o)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Addr: addrOf(network, specs[0].sa), Err: first}
}

// dialOne connects one socket, parking the fiber until it is connected.
func dialOne(ctx context.Context, l *loop.Loop, spec sockSpec, o *options) (*Conn, error) {
	fd, err := newSocket(spec)
	if err != nil {
		return nil, err
	}
	if err := o.applyConn(fd, spec.family); err != nil {
		unix.Close(fd)
		return nil, err
	}
	err = unix.Connect(fd, spec.sa)
	for err == unix.EINTR {
		err = unix.Connect(fd, spec.sa)
	}
	if err != nil && err != unix.EINPROGRESS && err != unix.EALREADY && err != unix.EAGAIN {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	c, rerr := newConn(l, fd, spec.family, o)
	if rerr != nil {
		unix.Close(fd)
		return nil, rerr
	}
	if err == nil {
		return c, nil // connected at once (Unix sockets, mostly)
	}
	c.dialing, c.canWrite = true, false
	for !c.canWrite {
		if werr := fiber.Suspend(ctx, "Dial", func(w fiber.Waiter) { c.readers = append(c.readers, w) }); werr != nil {
			c.release(true)
			return nil, werr
		}
	}
	c.dialing = false
	if err := soError(fd); err != nil {
		c.release(false)
		if errors.Is(err, unix.EINPROGRESS) {
			err = os.NewSyscallError("connect", unix.ETIMEDOUT)
		}
		return nil, err
	}
	return c, nil
}
