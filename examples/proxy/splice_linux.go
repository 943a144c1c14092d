package main

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/netpoll"
)

// canSplice: tcp mode moves bytes with splice(2) here (-splice).
const canSplice = true

// spliceChunk is the most one splice(2) call is asked to move, and the
// pipe size asked for: the pipe's size bounds what one call moves.
const spliceChunk = 1 << 20

// spliceHalf is copyHalf without the copy: the bytes go from src's socket
// into a pipe and from the pipe into dst's socket inside the kernel, and
// never through the proxy's memory (docs/proxy.md has the measurements).
// The pipe is drained before each refill, so an EAGAIN from the first
// splice is src's and from the second dst's, as netpoll's RawConn needs.
// Without a pipe (fds exhausted) it copies.
func (p *proxy) spliceHalf(dst, src *netpoll.Conn, last *time.Time) error {
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return p.copyHalf(dst, src, last)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	// A bigger pipe moves more per call and per wake-up; its pages are
	// taken only while bytes are in it. Refused (pipe-max-size, the
	// user's pipe pages), the default 64 KiB does.
	unix.FcntlInt(uintptr(pipe[0]), unix.F_SETPIPE_SZ, spliceChunk)
	in, _ := src.SyscallConn()
	out, _ := dst.SyscallConn()
	for {
		src.SetReadDeadline(last.Add(p.c.idleTimeout))
		var n int64
		var serr error
		err := in.Read(func(fd uintptr) bool {
			n, serr = splice(int(fd), pipe[1], spliceChunk)
			return serr != unix.EAGAIN
		})
		switch {
		case err == nil && serr != nil:
			err = os.NewSyscallError("splice", serr)
		case err == nil && n == 0:
			err = io.EOF
		}
		if done, err := p.readEnded(dst, err, last); done {
			return err
		}
		if n <= 0 {
			continue // a read deadline passed while the other direction moved
		}
		*last = time.Now()
		p.moved[1].Add(n)
		for n > 0 {
			var m int64
			err := out.Write(func(fd uintptr) bool {
				m, serr = splice(pipe[0], int(fd), int(n))
				return serr != unix.EAGAIN
			})
			if err == nil && serr != nil {
				err = os.NewSyscallError("splice", serr)
			}
			if err != nil {
				src.Close()
				return err
			}
			n -= m
		}
	}
}

// splice moves up to n bytes from fd in to fd out without blocking,
// retrying on EINTR.
func splice(in, out, n int) (int64, error) {
	for {
		m, err := unix.Splice(in, nil, out, nil, n, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if err != unix.EINTR {
			return m, err
		}
	}
}
