//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/weftio/weft/examples/forms/internal/echoclient"
	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "proactor:", err)
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
	ring, err := uring.New(uring.Config{Entries: 8})
	if err != nil {
		return err
	}
	defer ring.Close()

	srv, cli, err := fds.SocketPair(false)
	if err != nil {
		return err
	}
	defer fds.Close(srv, cli)

	e := &echo{l: l, ring: ring, fd: srv, buf: make([]byte, 4096), done: make(chan error, 1)}
	if err := l.Post(e.start); err != nil {
		return err
	}
	sent, cerr := echoclient.Run(cli, messages, size)
	if err := errors.Join(cerr, <-e.done); err != nil {
		return err
	}
	fmt.Fprintf(w, "proactor: echoed %d messages, %d bytes\n", messages, sent)
	fmt.Fprintf(w, "  %d completions (%d reads, %d writes) in %d eventfd wake-ups; %d io_uring_enter calls; 0 EAGAIN\n",
		e.reads+e.writes, e.reads, e.writes, e.wakeups, e.enters)
	return nil
}

// User data of the two operations: at most one is in flight.
const (
	opRead uint64 = iota + 1
	opWrite
)

// echo is the server: it keeps one operation in flight and, when the
// loop says completions are in, reaps them and posts the next.
type echo struct {
	l       *loop.Loop
	ring    *uring.Ring
	fd      int
	buf     []byte
	pending []byte // read, not yet written back
	done    chan error
	err     error

	reads, writes, wakeups, enters int
}

// start registers the ring's eventfd with the loop and posts the first
// read.
func (e *echo) start() {
	if err := e.l.Register(e.ring.EventFD(), poller.Readable, e); err != nil {
		e.done <- err
		return
	}
	// The kernel finishes a completion on the thread that submitted the
	// operation: while ours are in flight, the loop waits on its own
	// thread rather than park its goroutine, as package fs does.
	loopctl.BlockHint(e.l, +1)
	e.post(opRead)
	e.submit()
}

// post queues an operation: a read into buf, or a write of pending.
func (e *echo) post(op uint64) {
	sqe := e.ring.SQE()
	if op == opRead {
		sqe.PrepRead(e.fd, e.buf, 0)
	} else {
		sqe.PrepWrite(e.fd, e.pending, 0)
	}
	sqe.SetUserData(op)
}

func (e *echo) submit() {
	e.enters++
	if _, err := e.ring.Submit(); err != nil {
		e.finish(err)
	}
}

// Ready runs when the ring's eventfd is readable: completions are in.
func (e *echo) Ready(poller.Events) {
	e.wakeups++
	e.ring.DrainEventFD()
	finished := false
	e.ring.Reap(func(c uring.CQE) {
		switch {
		case c.Res < 0:
			e.err, finished = fmt.Errorf("operation %d: errno %d", c.UserData, -c.Res), true
		case c.UserData == opRead && c.Res == 0: // the client shut down its side
			e.reads++
			finished = true
		case c.UserData == opRead:
			e.reads++
			e.pending = e.buf[:c.Res]
			e.post(opWrite)
		default: // a write: the rest of pending, if short, else the next read
			e.writes++
			if e.pending = e.pending[c.Res:]; len(e.pending) > 0 {
				e.post(opWrite)
			} else {
				e.post(opRead)
			}
		}
	})
	if finished {
		e.finish(e.err)
		return
	}
	e.submit() // whatever the completions posted, in one call
}

func (e *echo) finish(err error) {
	e.l.Unregister(e.ring.EventFD())
	loopctl.BlockHint(e.l, -1)
	e.done <- err
}
