//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// load is the ping-pong every implementation serves: pairs socket pairs,
// the first active of them active, messages of size bytes.
type load struct {
	pairs, active, size int
	fds                 [][2]int // per pair: the client end, the server end

	ops      atomic.Int64 // round trips completed
	stopping atomic.Bool  // set by stop: clients send no more pings

	// reached is closed when ops reaches target, if it is not nil: how
	// the tests wait for traffic.
	target  int64
	reached chan struct{}
}

// count counts a round trip.
func (ld *load) count() {
	if ld.ops.Add(1) == ld.target && ld.reached != nil {
		close(ld.reached)
	}
}

func newLoad(pairs, active, size int) *load {
	return &load{pairs: pairs, active: active, size: size}
}

// msg is what pair p's client sends: every byte is p's low byte, so that
// an answer from another pair, or a torn one, is caught.
func (ld *load) msg(p int) []byte { return bytes.Repeat([]byte{byte(p)}, ld.size) }

// check says whether answer is pair p's message.
func (ld *load) check(p int, answer []byte) error {
	if len(answer) != ld.size || bytes.Count(answer, []byte{byte(p)}) != ld.size {
		return fmt.Errorf("pair %d: wrong answer %x", p, answer)
	}
	return nil
}

// socketPairs makes ld.fds: Unix stream socket pairs, close-on-exec, and
// non-blocking if nonblock is set.
func (ld *load) socketPairs(nonblock bool) error {
	flags := unix.SOCK_STREAM | unix.SOCK_CLOEXEC
	if nonblock {
		flags |= unix.SOCK_NONBLOCK
	}
	for range ld.pairs {
		p, err := unix.Socketpair(unix.AF_UNIX, flags, 0)
		if err != nil {
			ld.closeAll()
			return os.NewSyscallError("socketpair", err)
		}
		ld.fds = append(ld.fds, p)
	}
	return nil
}

func (ld *load) closeAll() {
	for _, p := range ld.fds {
		unix.Close(p[0])
		unix.Close(p[1])
	}
	ld.fds = nil
}

// end is one watched socket of a single-threaded implementation, with
// the message it is reading.
type end struct {
	pair   int
	client bool
	fd     int
	buf    []byte // the message being read
	out    []byte // the message being written: a server's answer, a client's ping
	got    int    // bytes of buf read so far
}

// ends lists the sockets a single-threaded implementation watches: both
// ends of the active pairs, the server end of the idle ones.
func (ld *load) ends() []*end {
	var es []*end
	for p, fds := range ld.fds {
		if p < ld.active {
			es = append(es, &end{pair: p, client: true, fd: fds[0], buf: make([]byte, ld.size), out: ld.msg(p)})
		}
		es = append(es, &end{pair: p, fd: fds[1], buf: make([]byte, ld.size), out: make([]byte, ld.size)})
	}
	return es
}

// errEOF is a peer's shutdown seen by a non-blocking read.
var errEOF = errors.New("end of file")

// serve reads what e's socket has, with non-blocking read(2), and acts on
// every message completed: a server writes it back, a client counts the
// round trip and sends the next ping (unless stopping). With untilEAGAIN
// it reads until EAGAIN, as edge-triggered readiness requires; else it
// reads once, enough under level-triggered readiness.
func (ld *load) serve(e *end, untilEAGAIN bool) error {
	for {
		n, err := unix.Read(e.fd, e.buf[e.got:])
		if err == unix.EAGAIN {
			return nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("read", err)
		}
		if n == 0 {
			return errEOF
		}
		if e.got += n; e.got == ld.size {
			e.got = 0
			if err := ld.message(e); err != nil {
				return err
			}
		}
		if !untilEAGAIN {
			return nil
		}
	}
}

// message acts on a message e has read whole, writing with write(2).
func (ld *load) message(e *end) error {
	if e.client {
		if err := ld.check(e.pair, e.buf); err != nil {
			return err
		}
		ld.count()
		if ld.stopping.Load() {
			return nil
		}
	} else {
		copy(e.out, e.buf)
	}
	return writeNow(e.fd, e.out)
}

// writeNow writes b to a non-blocking socket that must take it whole:
// with one message in flight per direction, the socket buffer never
// fills.
func writeNow(fd int, b []byte) error {
	for {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		if n != len(b) {
			return fmt.Errorf("short write: %d of %d bytes", n, len(b))
		}
		return nil
	}
}

// kick sends the first ping of every active pair.
func (ld *load) kick() error {
	for p := range ld.active {
		if err := writeNow(ld.fds[p][0], ld.msg(p)); err != nil {
			return err
		}
	}
	return nil
}
