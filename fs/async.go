//go:build linux

package fs

import (
	"context"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// The future face: the same operations for code that runs on a loop
// without fibers (tasks, future reactions). Each starts the operation and
// returns a future of the loop at once. When ctx ends first, the
// operation is cancelled and the future is rejected with ctx's error once
// the kernel is done with the buffer: until the future settles, the
// buffer belongs to the operation. Call them on the loop's goroutine.

// OpenAsync opens the named file on l, as OpenFile does.
func OpenAsync(ctx context.Context, l *loop.Loop, name string, flag int, perm fs.FileMode) *future.Future[*File] {
	st := stateOf(l)
	fut, p := future.New[*File](l)
	o := openOp(name, flag, perm)
	st.startAsync(ctx, o, func(o *op, cerr error) {
		switch {
		case o.res >= 0:
			p.Resolve(st.newFile(int(o.res), name, flag, o.stx))
		case cerr != nil:
			p.Reject(&fs.PathError{Op: "open", Path: name, Err: cerr})
		default:
			p.Reject(&fs.PathError{Op: "open", Path: name, Err: o.err()})
		}
	})
	return fut
}

// ReadAtAsync reads len(b) bytes at off, as ReadAt does, except at the
// end of the file: the future's value is the count, which is less than
// len(b) only when the file ended first (ReadAt's io.EOF), so that the
// count is never lost. Errors are *fs.PathError values.
func (f *File) ReadAtAsync(ctx context.Context, b []byte, off int64) *future.Future[int] {
	fut, p := future.New[int](f.st.l)
	f.transferAsync(ctx, opRead, b, off, func(n int, err error) {
		if err == io.EOF {
			err = nil
		}
		p.Settle(n, err)
	})
	return fut
}

// WriteAtAsync writes b at off, as WriteAt does.
func (f *File) WriteAtAsync(ctx context.Context, b []byte, off int64) *future.Future[int] {
	fut, p := future.New[int](f.st.l)
	if f.append {
		p.Reject(f.pathErr("write", os.ErrInvalid))
		return fut
	}
	f.transferAsync(ctx, opWrite, b, off, func(n int, err error) { p.Settle(n, err) })
	return fut
}

// SyncAsync is Sync for the future face.
func (f *File) SyncAsync(ctx context.Context) *future.Future[struct{}] {
	fut, p := future.New[struct{}](f.st.l)
	if err := f.usable("sync"); err != nil {
		p.Reject(err)
		return fut
	}
	o := &op{kind: opFsync, fd: f.fd}
	f.track(o)
	f.st.startAsync(ctx, o, func(o *op, cerr error) {
		switch {
		case o.res >= 0:
			p.Resolve(struct{}{})
		case cerr != nil:
			p.Reject(f.pathErr("sync", cerr))
		default:
			p.Reject(f.pathErr("sync", f.errOf(o)))
		}
	})
	return fut
}

// usable checks a future-face call: on the file's loop, file open.
func (f *File) usable(what string) error {
	if !f.st.l.OnLoop() {
		return f.pathErr(what, ErrNotFiber)
	}
	if f.closed {
		return f.pathErr(what, os.ErrClosed)
	}
	return nil
}

// transferAsync reads or writes all of b at off, one op after another,
// and calls done with the count and the error ReadAt or WriteAt would
// return.
func (f *File) transferAsync(ctx context.Context, k kind, b []byte, off int64, done func(int, error)) {
	what := "read"
	if k == opWrite {
		what = "write"
	}
	if err := f.usable(what); err != nil {
		done(0, err)
		return
	}
	if off < 0 {
		done(0, f.pathErr(what, unix.EINVAL))
		return
	}
	if err := f.checkAlign(b, off); err != nil {
		done(0, f.pathErr(what, err))
		return
	}
	n := 0
	var step func()
	step = func() {
		if len(b) == 0 {
			done(n, nil)
			return
		}
		if f.closed {
			done(n, f.pathErr(what, os.ErrClosed))
			return
		}
		o := &op{kind: k, fd: f.fd, buf: b, off: off}
		f.track(o)
		f.st.startAsync(ctx, o, func(o *op, cerr error) {
			switch {
			case o.res > 0:
				m := int(o.res)
				n += m
				b = b[m:]
				off += int64(m)
				if cerr != nil {
					done(n, f.pathErr(what, cerr))
					return
				}
				step()
			case o.res == 0 && k == opRead:
				done(n, io.EOF)
			case o.res == 0:
				done(n, f.pathErr(what, io.ErrShortWrite))
			case cerr != nil:
				done(n, f.pathErr(what, cerr))
			default:
				done(n, f.pathErr(what, f.errOf(o)))
			}
		})
	}
	step()
}

// errOf is the error an op on f failed with, as the fiber face reports it.
func (f *File) errOf(o *op) error {
	errno := unix.Errno(-o.res)
	switch {
	case errno == unix.ECANCELED && f.closed:
		return os.ErrClosed
	case errno == unix.EINVAL && f.direct && (o.kind == opRead || o.kind == opWrite):
		return &AlignmentError{MemAlign: f.align.Mem, OffAlign: f.align.Off, Addr: bufAddr(o.buf), Off: o.off, Len: len(o.buf)}
	}
	return errno
}

// startAsync starts o and calls then once it completes, with ctx's error
// if ctx ended first and the op was cancelled (o.res is -ECANCELED then)
// or ctx ended while it ran (then o.res is its result, which counts).
func (st *state) startAsync(ctx context.Context, o *op, then func(o *op, ctxErr error)) {
	if st.err != nil {
		o.drop()
		o.res = -int32(unix.EIO)
		then(o, st.err)
		return
	}
	if err := ctx.Err(); err != nil {
		o.drop()
		o.res = -int32(unix.ECANCELED)
		then(o, err)
		return
	}
	stop := func() bool { return false }
	if ctx.Done() != nil {
		l := st.l
		stop = context.AfterFunc(ctx, func() {
			_ = l.Post(func() { st.be.cancel(o) })
		})
	}
	o.then = func(o *op) {
		stop()
		then(o, ctx.Err())
	}
	st.be.start(o)
}
