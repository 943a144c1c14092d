//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/netpoll"
)

// rawRead reads once from c's descriptor through RawConn.Read, parking
// while the socket has nothing.
func rawRead(c *netpoll.Conn, b []byte) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, rerr = unix.Read(int(fd), b)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return 0, err
	}
	return n, rerr
}

// rawWriteAll writes b through RawConn.Write, parking whenever the socket
// buffer is full.
func rawWriteAll(c *netpoll.Conn, b []byte) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for len(b) > 0 {
			n, e := unix.Write(int(fd), b)
			if e == unix.EAGAIN {
				return false
			}
			if e != nil {
				werr = e
				return true
			}
			b = b[n:]
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}

// RawConn.Read parks until data arrives; RawConn.Write parks while the
// peer does not read and finishes once it does; bytes that the Conn's own
// Write queued go out before the raw ones.
func TestRawConn_ReadWrite(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		// Small kernel buffers on the writing end: with the defaults the
		// kernel sometimes took the whole first write, leaving nothing
		// queued to order the raw write behind.
		_, c, s, closeAll, err := tcpPair(ctx, netpoll.WithWatermarks(8<<20, 1<<20), netpoll.WithBuffers(0, 64<<10))
		if err != nil {
			return err
		}
		defer closeAll()

		// Read: parks first (nothing sent yet), then gets the bytes.
		reading := fiber.Go(ctx, func(ctx context.Context) ([]byte, error) {
			b := make([]byte, 16)
			n, err := rawRead(s, b)
			return b[:n], err
		})
		fiber.Yield(ctx)
		if _, _, done := reading.Result(); done {
			t.Error("RawConn.Read returned before anything was sent")
		}
		c.Write([]byte("hello"))
		got, err := fiber.Await(ctx, reading)
		if err != nil || string(got) != "hello" {
			t.Errorf("RawConn.Read: %q, %v", got, err)
		}

		// Write: queue 4 MiB through Conn.Write (more than the socket
		// takes), then 4 MiB raw; the peer must read them in that order.
		first := bytes.Repeat([]byte{'a'}, 4<<20)
		second := bytes.Repeat([]byte{'b'}, 4<<20)
		if _, err := c.Write(first); err != nil {
			return err
		}
		if netpoll.QueuedBytes(c) == 0 {
			t.Error("the first write went through whole: the test does not test ordering")
		}
		writing := spawn(ctx, func(ctx context.Context) error { return rawWriteAll(c, second) })
		fiber.Yield(ctx)
		all, err := io.ReadAll(io.LimitReader(s, 8<<20))
		if err != nil {
			return err
		}
		if err := writing(); err != nil {
			t.Errorf("RawConn.Write: %v", err)
		}
		if !bytes.Equal(all[:4<<20], first) || !bytes.Equal(all[4<<20:], second) {
			t.Error("the raw write's bytes overtook the queued ones")
		}
		return nil
	})
}

// Deadlines, Close and a cancelled context wake parked raw calls; after
// Close every raw call fails with net.ErrClosed; Control runs on the fd.
func TestRawConn_WakeAndClose(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		_, c, _, closeAll, err := tcpPair(ctx, netpoll.WithBuffers(16<<10, 16<<10))
		if err != nil {
			return err
		}
		defer closeAll()

		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := rawRead(c, make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("RawConn.Read past its deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})

		// A raw writer parked on a full socket wakes at the write deadline.
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if err := rawWriteAll(c, make([]byte, 8<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("RawConn.Write to a peer that does not read, past its deadline: %v", err)
		}
		c.SetWriteDeadline(time.Time{})

		// A cancelled fiber context wakes a parked raw read.
		cctx, cancel := context.WithCancel(ctx)
		reading := spawn(cctx, func(ctx context.Context) error { _, err := rawRead(c, make([]byte, 1)); return err })
		fiber.Yield(ctx)
		cancel()
		if err := reading(); !errors.Is(err, context.Canceled) {
			t.Errorf("RawConn.Read with its context cancelled: %v", err)
		}

		var fd uintptr
		rc, _ := c.SyscallConn()
		if err := rc.Control(func(f uintptr) { fd = f }); err != nil || fd == 0 {
			t.Errorf("Control: fd %d, %v", fd, err)
		}
		reading = spawn(ctx, func(ctx context.Context) error { _, err := rawRead(c, make([]byte, 1)); return err })
		fiber.Yield(ctx)
		c.Close()
		if err := reading(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("RawConn.Read parked during Close: %v", err)
		}
		if err := rawWriteAll(c, []byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("RawConn.Write after Close: %v", err)
		}
		if err := rc.Control(func(uintptr) {}); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Control after Close: %v", err)
		}
		return nil
	})
}

// From a goroutine that is not a fiber of the loop, Read and Write fail
// with ErrNotFiber, as Conn.Read does; Control works.
func TestRawConn_NotFiber(t *testing.T) {
	run(t, func(ctx context.Context) error {
		_, c, _, closeAll, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		rc, _ := c.SyscallConn()
		errs := make(chan error, 3)
		go func() {
			errs <- rc.Read(func(uintptr) bool { return true })
			errs <- rc.Write(func(uintptr) bool { return true })
			errs <- rc.Control(func(uintptr) {})
		}()
		for i, want := range []error{netpoll.ErrNotFiber, netpoll.ErrNotFiber, nil} {
			var err error
			if _, err = fiber.Blocking(ctx, func(context.Context) (struct{}, error) { return struct{}{}, <-errs }); !errors.Is(err, want) && !(want == nil && err == nil) {
				t.Errorf("call %d from a goroutine: %v, want %v", i, err, want)
			}
		}
		return nil
	})
}
