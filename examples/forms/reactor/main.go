//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/echoclient"
	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reactor:", err)
		os.Exit(1)
	}
}

const messages, size = 1000, 64

func run(w io.Writer) error {
	l, err := loop.New()
	if err != nil {
		return err
	}
	go l.Run()
	defer l.Close()

	srv, cli, err := fds.SocketPair(false)
	if err != nil {
		return err
	}
	defer fds.Close(srv, cli)
	if err := fds.SetNonblock(srv); err != nil { // the client's end stays blocking
		return err
	}

	e := &echo{l: l, fd: srv, buf: make([]byte, 4096), done: make(chan error, 1)}
	if err := l.Post(func() {
		if err := l.Register(srv, poller.Readable|poller.Writable, e); err != nil {
			e.done <- err
		}
	}); err != nil {
		return err
	}
	sent, cerr := echoclient.Run(cli, messages, size)
	if err := errors.Join(cerr, <-e.done); err != nil {
		return err
	}
	fmt.Fprintf(w, "reactor: echoed %d messages, %d bytes\n", messages, sent)
	fmt.Fprintf(w, "  %d readiness events; %d read(2)s, %d write(2)s, %d of them EAGAIN\n", e.events, e.reads, e.writes, e.eagain)
	return nil
}

// echo is the server: the loop calls Ready when the socket may be read
// or written, and Ready does the I/O itself, until EAGAIN.
type echo struct {
	l       *loop.Loop
	fd      int
	buf     []byte
	pending []byte // read, not yet written back
	done    chan error

	events, reads, writes, eagain int
}

func (e *echo) Ready(ev poller.Events) {
	e.events++
	for {
		if len(e.pending) > 0 {
			n, err := unix.Write(e.fd, e.pending)
			e.writes++
			if err == unix.EAGAIN {
				e.eagain++
				return // the next Writable event goes on
			}
			if err != nil {
				e.finish(err)
				return
			}
			e.pending = e.pending[n:]
			continue
		}
		n, err := unix.Read(e.fd, e.buf)
		e.reads++
		if err == unix.EAGAIN {
			e.eagain++
			return // the next Readable event goes on
		}
		if err != nil {
			e.finish(err)
			return
		}
		if n == 0 { // the client shut down its side
			e.finish(nil)
			return
		}
		e.pending = e.buf[:n]
	}
}

func (e *echo) finish(err error) {
	e.l.Unregister(e.fd)
	e.done <- err
}
