//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// A PipeReader is the read end of a pipe on a loop, with two faces.
//
// The fiber face: Read parks the calling fiber of the pipe's loop until
// data, EOF or Close, so in a fiber a PipeReader is an io.Reader and
// io.Closer (io.ReadAll, bufio.Scanner and io.Copy work unchanged).
//
// The callback face: SetHandler gives the pipe a ReadHandler; from then
// on the loop reads whatever arrives and hands it to the handler's Data
// (at most 16 reads of 64 KiB per readiness event, then the reader goes
// to the back of the loop's queue), and Close once at the end. Read is
// refused then.
//
// Close may be called from any goroutine; the other methods are for the
// pipe's loop. Errors are *os.PathError values: errors.Is works with
// os.ErrClosed, the errno and a context's error.
type PipeReader struct {
	pipe
	hup       bool // the writers are gone: read on to EOF
	readers   []fiber.Waiter
	h         *ReadHandler
	ended     bool // h.Close has run
	paused    bool
	scheduled bool // a pump is queued on the loop
	pumpFn    func()
}

// ReadHandler is the callback face of a PipeReader. Its functions run on
// the pipe's loop.
type ReadHandler struct {
	// Data receives bytes read. data lives in a buffer the loop's readers
	// share: it is valid only until Data returns (copy what you keep).
	// Data may call the reader's Pause and Close.
	Data func(data []byte)
	// Close runs once, when the reader is done: with io.EOF when every
	// writer has closed and the data is consumed, nil after Close, or the
	// error that ended it. The fd is closed by then. It does not run when
	// the loop closes with the pipe open.
	Close func(err error)
}

func newPipeReader(fd int, name string) *PipeReader {
	r := &PipeReader{pipe: pipe{fd: fd, name: name}}
	r.pumpFn = r.pump
	return r
}

func (r *PipeReader) attach(l *loop.Loop, ls *loopState) error {
	if err := r.pipe.attach(l, ls, poller.Readable, (*readerReady)(r), r); err != nil {
		return err
	}
	if r.h != nil {
		r.schedule()
	}
	return nil
}

func (r *PipeReader) abort() { r.release(r) }

// readerReady is a PipeReader seen as the poller's handler of its fd
// (keeping Ready out of the public API).
type readerReady PipeReader

// Ready is the poller's readiness callback. Loop goroutine only.
func (h *readerReady) Ready(ev poller.Events) {
	r := (*PipeReader)(h)
	if r.gone {
		return
	}
	r.ready = true
	if ev&poller.HangUp != 0 {
		r.hup = true
	}
	if r.h != nil {
		if !r.scheduled { // else the queued pump reads it, in its turn
			r.pump()
		}
		return
	}
	wakeAll(&r.readers)
}

// read is one read system call: n > 0 with data, 0 and io.EOF at the end,
// or 0 and nil when there is nothing now (ready is cleared), or an error.
// A read shorter than asked also clears ready: the pipe was drained at
// that instant and the next data brings a new edge. Once the writers have
// hung up no edge follows, so then reads go on until EOF.
func (r *PipeReader) read(b []byte) (int, error) {
	for {
		n, err := unix.Read(r.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			r.ready = false
			return 0, nil
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		if n < len(b) && !r.hup {
			r.ready = false
		}
		return n, nil
	}
}

// Read reads into b, parking the calling fiber until data arrives, every
// writer has closed (io.EOF), Close is called (os.ErrClosed) or the
// fiber's context is done. Only a fiber of the pipe's loop may call it.
// A fiber that keeps finding data yields to the rest of the loop after
// each MiB it reads.
func (r *PipeReader) Read(b []byte) (int, error) {
	if r.l == nil {
		return 0, r.pathErr("read", errPipeNotStarted)
	}
	ctx := fiber.Self(r.l)
	if ctx == nil {
		return 0, r.pathErr("read", ErrNotFiber)
	}
	if r.h != nil {
		return 0, r.pathErr("read", errHandled)
	}
	if err := r.fair(ctx); err != nil {
		return 0, r.pathErr("read", err)
	}
	for {
		switch {
		case r.closed || r.gone:
			return 0, r.pathErr("read", os.ErrClosed)
		case len(b) == 0:
			return 0, nil
		}
		if r.ready {
			n, err := r.read(b)
			if err == io.EOF {
				return 0, io.EOF
			}
			if err != nil {
				return 0, r.pathErr("read", err)
			}
			if n > 0 {
				r.run += n
				return n, nil
			}
		}
		r.run = 0
		if err := fiber.Suspend(ctx, "PipeReader.Read", func(w fiber.Waiter) { r.readers = append(r.readers, w) }); err != nil {
			return 0, r.pathErr("read", err)
		}
	}
}

var errHandled = errors.New("process: Read on a pipe that has a ReadHandler")

// SetHandler switches r to the callback face: from now on the loop reads
// what arrives and calls h's functions (nil ones are skipped). Data that
// is already waiting is delivered from the next loop turn, never inside
// this call. It fails if the pipe is closed or a fiber is parked in Read.
// On the pipe's loop; for a pipe of a Cmd that has not started, before
// Start, on the goroutine that will start it.
func (r *PipeReader) SetHandler(h ReadHandler) error {
	if r.l != nil && !r.l.OnLoop() {
		return r.pathErr("sethandler", errNotOnLoop)
	}
	switch {
	case r.closed || r.gone:
		return r.pathErr("sethandler", os.ErrClosed)
	case len(r.readers) > 0:
		return r.pathErr("sethandler", errors.New("process: a fiber is parked in Read"))
	}
	r.h = &h
	if r.l != nil {
		r.schedule()
	}
	return nil
}

// Pause stops the callback face's reading until Resume; the child's
// writes then wait for room in the pipe (a way to push back on a fast
// child). On the pipe's loop.
func (r *PipeReader) Pause() { r.paused = true }

// Resume goes on reading after Pause, from the next loop turn. On the
// pipe's loop.
func (r *PipeReader) Resume() {
	if r.paused {
		r.paused = false
		r.schedule()
	}
}

// schedule queues a pump on the loop unless one is queued.
func (r *PipeReader) schedule() {
	if !r.scheduled && !r.gone {
		r.scheduled = true
		r.l.Schedule(r.pumpFn)
	}
}

// later queues a pump for the loop's next turn, after its timers and its
// poll: a ready task could run again in the same phase, up to the loop's
// task budget, and a reader of a flooding child would hold the loop for
// 256 MiB before a timer fired.
func (r *PipeReader) later() {
	if !r.scheduled && !r.gone {
		r.scheduled = true
		r.l.AfterFunc(0, r.pumpFn)
	}
}

// pump reads for the callback face: at most maxReadsPerEvent reads, then
// the rest is left for a pump in the loop's next turn.
func (r *PipeReader) pump() {
	r.scheduled = false
	buf := r.ls.readBuf()
	for range maxReadsPerEvent {
		if r.gone || r.paused || r.h == nil || !r.ready {
			return
		}
		n, err := r.read(buf)
		if err != nil {
			if err != io.EOF {
				err = r.pathErr("read", err)
			}
			r.end(err)
			return
		}
		if n > 0 && r.h.Data != nil {
			r.h.Data(buf[:n])
		}
	}
	if r.ready && !r.paused {
		r.later()
	}
}

// end releases the fd and runs the handler's Close with err, once.
func (r *PipeReader) end(err error) {
	r.release(r)
	if r.h != nil && !r.ended {
		r.ended = true
		if r.h.Close != nil {
			r.h.Close(err)
		}
	}
}

// Close closes the read end: a parked Read returns os.ErrClosed, a
// handler's Close runs with nil, and the child's writes fail with EPIPE
// (or SIGPIPE kills it) once no other reader is left. Any goroutine may
// call it; a second Close returns an error matching os.ErrClosed.
func (r *PipeReader) Close() error {
	return r.onLoop(func() error {
		if r.closed {
			return r.pathErr("close", os.ErrClosed)
		}
		r.closed = true
		r.end(nil)
		wakeAll(&r.readers)
		return nil
	})
}

// Loop returns the loop the pipe is on, or nil for a pipe of a Cmd that
// has not started.
func (r *PipeReader) Loop() *loop.Loop { return r.l }

var _ io.ReadCloser = (*PipeReader)(nil)
