//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// Limits of the pipes' two faces; docs/process.md has the reasons.
const (
	// maxReadsPerEvent bounds the reads a callback-face reader makes for
	// one readiness event before it goes to the back of the loop's ready
	// queue: a child that floods its output cannot keep the loop from
	// its timers and other fds.
	maxReadsPerEvent = 16
	// yieldEvery is how many bytes a fiber reads or writes through one
	// pipe end without parking before it yields to the rest of the loop:
	// reading a flooding child, a fiber would never park otherwise.
	yieldEvery = 1 << 20
	// highWater and lowWater bound what a PipeWriter's callback face
	// copies and queues: a Write on the loop is refused with ErrQueueFull
	// while the queue holds highWater bytes or more, and OnDrain's
	// function runs once it has drained to lowWater. A pipe's own buffer
	// in the kernel is 64 KiB on Linux.
	highWater = 256 << 10
	lowWater  = 64 << 10
)

// ErrNotFiber is returned by a pipe's Read and Write, and by Cmd.Wait,
// when the caller is not a fiber of the loop they belong to (Write also
// works from plain tasks of the loop and from other goroutines).
var ErrNotFiber = errors.New("process: not called from a fiber of the loop")

// ErrQueueFull is returned by a PipeWriter's Write called on its loop
// outside a fiber (the callback face) while its queue is at the high
// watermark: nothing was taken; OnDrain says when to write again.
var ErrQueueFull = errors.New("process: pipe write queue full")

// errPipeNotStarted is returned by a pipe of a Cmd that has not started.
var errPipeNotStarted = errors.New("process: pipe of a command not started")

// pipe is what both ends share: the fd on its loop and what the kernel
// last said about it. Loop goroutine only, once attached.
type pipe struct {
	fd     int
	name   string // for errors: "pipe", "stdout", ...
	l      *loop.Loop
	ls     *loopState
	ready  bool // the last read or write did not see EAGAIN
	closed bool // Close was called
	gone   bool // the fd is closed
	run    int  // bytes moved by fibers since the last park (yieldEvery)
}

// attach makes the fd non-blocking and registers it on l for ev, with h
// as its handler; self is the end, released if the loop closes. Loop
// goroutine only.
func (p *pipe) attach(l *loop.Loop, ls *loopState, ev poller.Events, h poller.Handler, self aborter) error {
	if err := unix.SetNonblock(p.fd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	if err := l.Register(p.fd, ev, h); err != nil {
		return err
	}
	p.l, p.ls, p.ready = l, ls, true
	ls.pipes[self] = struct{}{}
	return nil
}

// release unregisters and closes the fd.
func (p *pipe) release(self aborter) {
	if p.gone {
		return
	}
	p.gone = true
	if p.l != nil {
		delete(p.ls.pipes, self)
		_ = p.l.Unregister(p.fd)
	}
	unix.Close(p.fd)
}

// pathErr wraps err as package os does for a file: errors.Is works with
// os.ErrClosed, the errno and a context's error.
func (p *pipe) pathErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: p.name, Err: err}
}

// onLoop runs f on the pipe's loop and waits for it: directly when the
// caller is on it, or when the pipe is not attached yet (it belongs to
// the caller then); else by Post. A closed loop has released the fd.
func (p *pipe) onLoop(f func() error) error {
	if p.l == nil || p.l.OnLoop() {
		return f()
	}
	done := make(chan error, 1)
	if err := p.l.Post(func() { done <- f() }); err != nil {
		return os.ErrClosed
	}
	return <-done
}

// fair lets the loop's other work run, before a fiber's read or write,
// once the fiber has moved yieldEvery bytes through the pipe without
// parking. It sleeps for no time rather than yields: a yielding fiber
// may run again in the same phase of the loop, before timers and I/O,
// and a Sleep wakes it in the next turn, after them. It returns ctx's
// error if the fiber's context is done.
func (p *pipe) fair(ctx context.Context) error {
	if p.run < yieldEvery {
		return nil
	}
	p.run = 0
	return fiber.Sleep(ctx, 0)
}

// Pipe returns a connected pair of pipe ends on l, like os.Pipe: both are
// non-blocking and registered in l's poller, and both faces work on them
// (see PipeReader and PipeWriter). Loop goroutine only. The caller closes
// both; those still open when l closes are closed with it.
func Pipe(l *loop.Loop) (*PipeReader, *PipeWriter, error) {
	if !l.OnLoop() {
		return nil, nil, errNotOnLoop
	}
	rfd, wfd, err := osPipe()
	if err != nil {
		return nil, nil, os.NewSyscallError("pipe", err)
	}
	r, w := newPipeReader(rfd, "pipe"), newPipeWriter(wfd, "pipe")
	ls := stateOf(l)
	if err := r.attach(l, ls); err != nil {
		unix.Close(rfd)
		unix.Close(wfd)
		return nil, nil, err
	}
	if err := w.attach(l, ls); err != nil {
		r.release(r)
		unix.Close(wfd)
		return nil, nil, err
	}
	return r, w, nil
}

// wakeAll wakes the fibers in ws.
func wakeAll(ws *[]fiber.Waiter) {
	for _, w := range *ws {
		w.Wake()
	}
	*ws = (*ws)[:0]
}
