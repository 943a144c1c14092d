//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"io"
	"os"

	"github.com/weftio/weft/loop"
)

// stdio is what Start prepares for the child's standard fds: the
// descriptors the child gets, those opened here for it (closed in the
// parent once the child has them), and the parent's ends, registered on
// the loop before the fork so that nothing can fail after it.
type stdio struct {
	c        *Cmd
	files    [3]uintptr
	child    []int     // child ends opened here, and /dev/null
	parents  []aborter // parent ends attached to the loop
	feed     *feeder
	null     int
	fromCopy [3]bool // files[i] is a pipe copied to a writer
}

// setup prepares the child's fds 0, 1 and 2 from the Cmd's fields.
func (c *Cmd) setup(l *loop.Loop, ls *loopState) (*stdio, error) {
	s := &stdio{c: c, null: -1}
	for i := range 3 {
		fd, err := s.one(l, ls, i)
		if err != nil {
			s.fail()
			s.closeChildEnds()
			return nil, err
		}
		s.files[i] = uintptr(fd)
	}
	return s, nil
}

// one returns the descriptor for the child's fd i.
func (s *stdio) one(l *loop.Loop, ls *loopState, i int) (int, error) {
	c := s.c
	if g := c.given[i]; g.set {
		return g.fd, nil
	}
	if u := &c.user[i]; u.r != nil || u.w != nil {
		var err error
		if u.r != nil {
			err = u.r.attach(l, ls)
			s.parents = append(s.parents, u.r)
		} else {
			err = u.w.attach(l, ls)
			s.parents = append(s.parents, u.w)
		}
		if err != nil {
			return -1, err
		}
		s.child = append(s.child, u.child)
		child := u.child
		u.child = -1 // the child end is s's to close now
		return child, nil
	}
	if i == 0 {
		switch in := c.Stdin.(type) {
		case nil:
			return s.devNull()
		case *os.File:
			return int(in.Fd()), nil
		default:
			r, w, err := s.pipe(true)
			if err != nil {
				return -1, err
			}
			pw := newPipeWriter(w, "stdin")
			if err := pw.attach(l, ls); err != nil {
				closeFd(w)
				return -1, err
			}
			s.parents = append(s.parents, pw)
			s.feed = &feeder{c: c, r: in, w: pw}
			return r, nil
		}
	}
	out := c.Stdout
	if i == 2 {
		out = c.Stderr
		if s.fromCopy[1] && sameWriter(c.Stderr, c.Stdout) {
			return int(s.files[1]), nil // one pipe for both keeps their order
		}
	}
	switch out := out.(type) {
	case nil:
		return s.devNull()
	case *os.File:
		return int(out.Fd()), nil
	default:
		r, w, err := s.pipe(false)
		if err != nil {
			return -1, err
		}
		pr := newPipeReader(r, []string{"", "stdout", "stderr"}[i])
		pr.h = &ReadHandler{
			Data: func(b []byte) {
				if _, err := out.Write(b); err != nil {
					if c.copyErr == nil {
						c.copyErr = err
					}
					pr.Close() // the child's writes now fail with EPIPE
				}
			},
			Close: func(err error) { c.copyDone(pr, err) },
		}
		if err := pr.attach(l, ls); err != nil {
			closeFd(r)
			return -1, err
		}
		s.parents = append(s.parents, pr)
		// Counted now: with the fork on the offload pool, the copy may
		// reach EOF before Start returns.
		c.copies = append(c.copies, pr)
		s.fromCopy[i] = true
		return w, nil
	}
}

// pipe makes a pipe for a copy; the caller takes the parent's end, and
// the child's end is added to s.child.
func (s *stdio) pipe(childIsRead bool) (r, w int, err error) {
	r, w, err = osPipe()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	if childIsRead {
		s.child = append(s.child, r)
	} else {
		s.child = append(s.child, w)
	}
	return r, w, nil
}

// devNull returns /dev/null, opened once per Start.
func (s *stdio) devNull() (int, error) {
	if s.null < 0 {
		fd, err := devNull()
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: "/dev/null", Err: err}
		}
		s.null = fd
		s.child = append(s.child, fd)
	}
	return s.null, nil
}

// closeChildEnds closes, in the parent, what was opened for the child.
func (s *stdio) closeChildEnds() {
	for _, fd := range s.child {
		closeFd(fd)
	}
	s.child = nil
}

// fail releases the parent's ends when the child could not start. Those
// the caller holds (StdoutPipe...) report os.ErrClosed.
func (s *stdio) fail() {
	s.c.copies = nil
	for _, p := range s.parents {
		switch p := p.(type) {
		case *PipeReader:
			p.closed = true
		case *PipeWriter:
			p.closed = true
		}
		p.abort()
	}
}

// begin starts the copies once the child runs.
func (s *stdio) begin() {
	c := s.c
	if s.feed != nil {
		c.feed = s.feed
		s.feed.w.OnDrain(s.feed.pump)
		c.l.Schedule(s.feed.pump)
	}
}

// sameWriter reports whether a and b are the same writer. Interface values
// of a type that cannot be compared (a func, a slice) are never the same.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// feeder copies a Cmd's Stdin reader into the child's input pipe, on the
// loop, through the pipe's callback face: it reads a chunk when the
// queue has room, and waits for OnDrain when it has not.
type feeder struct {
	c       *Cmd
	r       io.Reader
	w       *PipeWriter
	buf     []byte
	chunk   []byte // read and not yet taken by the pipe
	eof     bool
	stopped bool
	empty   int // reads in a row that returned nothing
}

// feedChunk is the size of the feeder's reads.
const feedChunk = 32 << 10

// pump moves data until the reader is exhausted or the queue is full.
func (f *feeder) pump() {
	if f.buf == nil {
		f.buf = make([]byte, feedChunk)
	}
	for !f.stopped {
		if len(f.chunk) == 0 {
			if f.eof {
				f.end(nil)
				return
			}
			n, err := f.r.Read(f.buf)
			f.chunk = f.buf[:n]
			switch {
			case err == io.EOF:
				f.eof = true
			case err != nil:
				f.end(err)
				return
			case n == 0:
				// A reader that keeps returning nothing would hold the
				// loop for ever; io.ErrNoProgress is bufio's answer.
				if f.empty++; f.empty >= 100 {
					f.end(io.ErrNoProgress)
					return
				}
			default:
				f.empty = 0
			}
			continue
		}
		if _, err := f.w.writeLoop(f.chunk); err == ErrQueueFull {
			return // OnDrain pumps again
		} else if err != nil {
			// The child closed its input (EPIPE) or the pipe broke: the
			// rest is not wanted, which is no error of the Cmd's, as in
			// os/exec.
			f.stop()
			return
		}
		f.chunk = nil
	}
}

// end closes the pipe once what it has taken is written, so the child
// sees EOF; a reader's error becomes Wait's (if the child succeeds).
func (f *feeder) end(err error) {
	f.stopped = true
	if err != nil && f.c.copyErr == nil {
		f.c.copyErr = err
	}
	_ = f.w.Close()
}

// stop abandons the copy: the child exited, or stopped reading.
func (f *feeder) stop() {
	f.stopped = true
	f.w.closed = true
	f.w.abort()
}
