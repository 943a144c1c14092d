//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// A PipeWriter is the write end of a pipe on a loop, with two faces.
//
// The fiber face: Write parks the calling fiber of the pipe's loop until
// all of b is in the pipe (the kernel's pipe buffer is the only queue:
// nothing is copied), so in a fiber a PipeWriter is an io.Writer and
// io.Closer. A child that does not read its input therefore parks the
// writing fiber, never the loop.
//
// The callback face: Write called on the loop outside a fiber (a task, a
// callback) never waits: it writes what the pipe takes and copies the
// rest into a queue that drains as the reader reads, and refuses a write
// with ErrQueueFull while the queue holds 256 KiB or more; OnDrain's
// function says when the queue is down to 64 KiB.
//
// Write from another goroutine blocks that goroutine, never the loop,
// until all of b is in the pipe. Writes of every kind keep their order.
// Close may be called from any goroutine. Errors are *os.PathError
// values: errors.Is works with os.ErrClosed, syscall.EPIPE (the reader is
// gone) and a context's error.
type PipeWriter struct {
	pipe
	reqs    []*writeReq // writes waiting for room, first in first out
	queued  int         // bytes of the callback face's copies in reqs
	full    bool        // a callback-face write was refused: call drain at lowWater
	drain   func()
	closing bool  // Close waits for the callback face's bytes to go out
	err     error // the write error that broke the pipe, for later writes
}

// A writeReq is a write waiting for room: a fiber's (woken when done), a
// goroutine's (done closed) or the callback face's copy (owned).
type writeReq struct {
	b     []byte
	n     int // written so far
	err   error
	fw    fiber.Waiter
	done  chan struct{}
	owned bool // b is the package's copy; nobody waits
	dead  bool // its fiber went on (context done): skip the rest
}

func newPipeWriter(fd int, name string) *PipeWriter {
	return &PipeWriter{pipe: pipe{fd: fd, name: name}}
}

func (w *PipeWriter) attach(l *loop.Loop, ls *loopState) error {
	return w.pipe.attach(l, ls, poller.Writable, (*writerReady)(w), w)
}

// abort releases the fd when the loop closes. Goroutines blocked in
// Write are let go with os.ErrClosed (fibers are unwound by the fiber
// runtime).
func (w *PipeWriter) abort() {
	for _, r := range w.reqs {
		if r.done != nil {
			r.err = os.ErrClosed
			close(r.done)
		}
	}
	w.reqs = nil
	w.release(w)
}

// writerReady is a PipeWriter seen as the poller's handler of its fd.
type writerReady PipeWriter

// Ready is the poller's readiness callback. Loop goroutine only.
func (h *writerReady) Ready(poller.Events) {
	w := (*PipeWriter)(h)
	if w.gone {
		return
	}
	w.ready = true
	w.flush()
}

// check returns why a write cannot start, or nil.
func (w *PipeWriter) check() error {
	switch {
	case w.closed:
		return os.ErrClosed
	case w.err != nil:
		return w.err
	case w.gone:
		return os.ErrClosed
	}
	return nil
}

// writeSome writes b while the pipe takes it and returns how much it took.
func (w *PipeWriter) writeSome(b []byte) (int, error) {
	n := 0
	for n < len(b) && w.ready {
		m, err := unix.Write(w.fd, b[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			w.ready = false
		case err != nil:
			return n, err
		default:
			n += m
			if n < len(b) {
				w.ready = false // the pipe is full: wait for an edge
			}
		}
	}
	return n, nil
}

// Write writes b to the pipe; see the type's documentation for how each
// caller waits. On the callback face it returns ErrQueueFull, having taken
// nothing, while the queue is full.
func (w *PipeWriter) Write(b []byte) (int, error) {
	if w.l == nil {
		return 0, w.pathErr("write", errPipeNotStarted)
	}
	if ctx := fiber.Self(w.l); ctx != nil {
		return w.writeFiber(ctx, b)
	}
	if w.l.OnLoop() {
		n, err := w.writeLoop(b)
		return n, w.pathErr("write", err)
	}
	return w.writeRemote(b)
}

// writeFiber is the fiber face's Write.
func (w *PipeWriter) writeFiber(ctx context.Context, b []byte) (int, error) {
	if err := w.fair(ctx); err != nil {
		return 0, w.pathErr("write", err)
	}
	if err := w.check(); err != nil {
		return 0, w.pathErr("write", err)
	}
	n := 0
	if len(w.reqs) == 0 {
		var err error
		n, err = w.writeSome(b)
		w.run += n
		if err != nil {
			w.fail(err)
			return n, w.pathErr("write", err)
		}
		if n == len(b) {
			return n, nil
		}
	}
	r := &writeReq{b: b, n: n}
	w.reqs = append(w.reqs, r)
	w.run = 0
	if err := fiber.Suspend(ctx, "PipeWriter.Write", func(fw fiber.Waiter) { r.fw = fw }); err != nil {
		r.dead = true
		return r.n, w.pathErr("write", err)
	}
	return r.n, w.pathErr("write", r.err)
}

// writeLoop is the callback face's Write: all of b is taken (written or
// copied into the queue) unless the queue is full, then none of it.
func (w *PipeWriter) writeLoop(b []byte) (int, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	if len(w.reqs) > 0 && w.queued >= highWater {
		w.full = true
		return 0, ErrQueueFull
	}
	n := 0
	if len(w.reqs) == 0 {
		var err error
		if n, err = w.writeSome(b); err != nil {
			w.fail(err)
			return n, err
		}
		if n == len(b) {
			return n, nil
		}
	}
	rest := append([]byte(nil), b[n:]...)
	w.reqs = append(w.reqs, &writeReq{b: rest, owned: true})
	w.queued += len(rest)
	return len(b), nil
}

// writeRemote is Write from a goroutine outside the loop: the write joins
// the queue by Post, and the goroutine waits until it is done. b is not
// copied: it is the caller's again when Write returns.
func (w *PipeWriter) writeRemote(b []byte) (int, error) {
	r := &writeReq{b: b, done: make(chan struct{})}
	if err := w.l.Post(func() {
		if err := w.check(); err != nil {
			r.err = err
			close(r.done)
			return
		}
		w.reqs = append(w.reqs, r)
		w.flush()
	}); err != nil {
		return 0, w.pathErr("write", os.ErrClosed)
	}
	<-r.done
	return r.n, w.pathErr("write", r.err)
}

// flush writes the waiting requests out, in order, while the pipe takes
// them.
func (w *PipeWriter) flush() {
	for len(w.reqs) > 0 && w.ready && !w.gone {
		r := w.reqs[0]
		if !r.dead {
			n, err := w.writeSome(r.b[r.n:])
			r.n += n
			if r.owned {
				w.queued -= n
			}
			if err != nil {
				w.fail(err)
				return
			}
			if r.n < len(r.b) {
				break
			}
			w.finish(r, nil)
		}
		w.reqs[0] = nil
		w.reqs = w.reqs[1:]
	}
	if len(w.reqs) == 0 {
		w.reqs = nil
		if w.closing {
			w.release(w)
		}
	}
	if w.full && w.queued <= lowWater {
		w.full = false
		if w.drain != nil {
			w.drain()
		}
	}
}

// finish ends a waiting write with err.
func (w *PipeWriter) finish(r *writeReq, err error) {
	r.err = err
	switch {
	case r.done != nil:
		close(r.done)
	case !r.owned && !r.dead:
		r.fw.Wake()
	}
}

// fail breaks the pipe after a write error (EPIPE: the reader is gone):
// every waiting write fails with it, so do later ones, and the fd, of no
// use any more, is released. A callback-face writer waiting for OnDrain
// is told, and finds the error at its next Write.
func (w *PipeWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	reqs := w.reqs
	w.reqs, w.queued = nil, 0
	for _, r := range reqs {
		w.finish(r, err)
	}
	w.release(w)
	if w.full {
		w.full = false
		if w.drain != nil {
			w.drain()
		}
	}
}

// OnDrain sets f to run on the loop when the callback face's queue, after
// a Write was refused with ErrQueueFull, has drained to the low watermark,
// or the pipe broke (the next Write returns the error). On the pipe's
// loop, or before the Cmd it belongs to starts.
func (w *PipeWriter) OnDrain(f func()) { w.drain = f }

// Close closes the write end once the bytes the callback face has taken
// are in the pipe; writes still waiting in fibers or goroutines fail with
// os.ErrClosed. The reader sees EOF after the data. If the reader never
// reads, the fd is released when the reader closes or the loop does. Any
// goroutine may call it; a second Close returns an error matching
// os.ErrClosed.
func (w *PipeWriter) Close() error {
	return w.onLoop(func() error {
		if w.closed {
			return w.pathErr("close", os.ErrClosed)
		}
		w.closed = true
		kept := w.reqs[:0]
		for _, r := range w.reqs {
			if r.owned {
				kept = append(kept, r)
			} else {
				w.finish(r, os.ErrClosed)
			}
		}
		clear(w.reqs[len(kept):])
		w.reqs = kept
		if len(w.reqs) == 0 {
			w.release(w)
		} else {
			w.closing = true
		}
		return nil
	})
}

// Loop returns the loop the pipe is on, or nil for a pipe of a Cmd that
// has not started.
func (w *PipeWriter) Loop() *loop.Loop { return w.l }

var _ io.WriteCloser = (*PipeWriter)(nil)
