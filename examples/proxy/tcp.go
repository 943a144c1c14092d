//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/netpoll"
)

// serveTCP connects the client to an upstream and copies bytes both ways
// until both sides have finished: the end of one direction (EOF) is passed
// on as a half-close (CloseWrite), so a client that shuts its writing side
// still gets the whole answer. The connection is closed when neither
// direction has moved a byte for -idle-timeout.
func (p *proxy) serveTCP(ctx context.Context, c *netpoll.Conn) {
	var (
		u   *netpoll.Conn
		err error
		up  *upstream
	)
	tried := map[*upstream]bool{}
	for len(tried) < len(p.ups) {
		up = p.pick(tried)
		tried[up] = true
		if u, err = p.dial(ctx, up); err == nil {
			up.succeeded()
			break
		}
		up.failed()
	}
	if err != nil {
		return
	}
	up.active.Add(1)
	up.requests.Add(1)
	defer up.active.Add(-1)
	defer u.Close()
	var last time.Time // of the last byte either way; the fibers share a loop
	last = time.Now()
	half := p.copyHalf
	if !p.c.noSplice && canSplice {
		half = p.spliceHalf
	}
	other := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, half(u, c, &last)
	})
	err1 := half(c, u, &last)
	_, err2 := fiber.Await(ctx, other)
	if err1 != nil || err2 != nil {
		c.SetLinger(0) // a direction failed: reset rather than pretend
	}
}

// copyHalf copies src to dst until EOF, then half-closes dst. A read that
// waits longer than -idle-timeout since the last byte either way ends it.
func (p *proxy) copyHalf(dst, src *netpoll.Conn, last *time.Time) error {
	buf := make([]byte, 32<<10)
	for {
		src.SetReadDeadline(last.Add(p.c.idleTimeout))
		n, err := src.Read(buf)
		if n > 0 {
			*last = time.Now()
			p.moved[0].Add(int64(n))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return werr
			}
		}
		if done, err := p.readEnded(dst, err, last); done {
			return err
		}
	}
}

// readEnded says whether a direction is over after a read from its source
// returned err, and ends it: at EOF by half-closing dst, on an error by
// closing dst. A read deadline that passed while the other direction
// moved is not an end: the idle time counts from the last byte either way.
func (p *proxy) readEnded(dst *netpoll.Conn, err error, last *time.Time) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, os.ErrDeadlineExceeded) && time.Since(*last) < p.c.idleTimeout:
		return false, nil
	case isEOF(err):
		return true, dst.CloseWrite()
	default:
		dst.Close()
		return true, err
	}
}
