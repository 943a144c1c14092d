//go:build linux

package fs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

// ErrNotFiber is returned by a File's methods when the caller is not a
// fiber of the loop the file was opened on (another goroutine, a plain
// loop task, a fiber of another loop).
var ErrNotFiber = errors.New("fs: not called from a fiber of the file's loop")

// A File is an open file of one loop. Its methods are called from the
// fibers of that loop and park the calling fiber until the operation
// completes; in a fiber, File is an io.Reader, io.Writer, io.ReaderAt,
// io.WriterAt, io.Seeker and io.Closer, as *os.File is. The operation is
// cancelled if the fiber's context ends while it is in flight: the method
// returns the context's error once the kernel is done with the buffer.
//
// ReadAt and WriteAt may run concurrently from several fibers; Read, Write
// and Seek share the file's offset and are served one at a time, in the
// order they were called.
type File struct {
	st       *state
	fd       int
	name     string
	direct   bool // opened with O_DIRECT
	append   bool // opened with O_APPEND: writes go to the end, WriteAt fails
	noNowait bool // the file system has no RWF_NOWAIT reads
	stream   bool // a pipe or device: Read and Write use the file position
	align    dioAlign

	pos    int64       // the offset Read, Write and Seek use
	cursor wsync.Mutex // serialises Read, Write and Seek

	ops    []*op        // in flight on this file
	closed bool         // Close has been called
	closeW fiber.Waiter // Close, waiting for ops to finish
	sidx   int32        // index in st.files, -1 once the fd is closed
}

// In a fiber, a File is what an *os.File is to io.
var (
	_ io.Reader   = (*File)(nil)
	_ io.Writer   = (*File)(nil)
	_ io.ReaderAt = (*File)(nil)
	_ io.WriterAt = (*File)(nil)
	_ io.Seeker   = (*File)(nil)
	_ io.Closer   = (*File)(nil)
)

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Fd returns the file descriptor, or -1 once the file is closed. The file
// keeps ownership of it.
func (f *File) Fd() int {
	if f.sidx < 0 {
		return -1
	}
	return f.fd
}

// track and untrack keep the ops in flight on f, for Close.
func (f *File) track(o *op) {
	o.file = f
	o.fidx = int32(len(f.ops))
	f.ops = append(f.ops, o)
}

func (f *File) untrack(o *op) {
	i := o.fidx
	last := f.ops[len(f.ops)-1]
	f.ops[i] = last
	last.fidx = i
	f.ops[len(f.ops)-1] = nil
	f.ops = f.ops[:len(f.ops)-1]
	o.file = nil
	if len(f.ops) == 0 {
		f.closeW.Wake()
	}
}

// enter checks that a method may run: the caller is a fiber of the file's
// loop and the file is open. It returns the fiber's context.
func (f *File) enter(what string) (context.Context, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	ctx := fiber.Self(f.st.l)
	if ctx == nil {
		return nil, f.pathErr(what, ErrNotFiber)
	}
	if f.closed {
		return nil, f.pathErr(what, os.ErrClosed)
	}
	return ctx, nil
}

func (f *File) pathErr(what string, err error) error {
	return &fs.PathError{Op: what, Path: f.name, Err: err}
}

// do runs o on f, parking the calling fiber, and returns its count or
// error. A cancelled op returns ctx's error.
func (f *File) do(ctx context.Context, o *op, what string) (int, error) {
	o.fd = f.fd
	f.track(o)
	if err := f.st.await(ctx, o, what); err != nil {
		return 0, err
	}
	if o.res < 0 {
		return 0, f.errOf(o)
	}
	return int(o.res), nil
}

// pread reads once at off (off < 0: at the file position), from the page
// cache without parking when it can.
func (f *File) pread(ctx context.Context, b []byte, off int64) (int, error) {
	if !f.direct && off >= 0 {
		if n, ok := f.readNowait(ctx, b, off); ok {
			return n, nil
		}
	}
	return f.do(ctx, &op{kind: opRead, buf: b, off: off}, "File.Read")
}

// ReadAt reads len(b) bytes at off, as os.File.ReadAt does: it returns
// fewer only with an error, io.EOF at the end of the file.
func (f *File) ReadAt(b []byte, off int64) (n int, err error) {
	ctx, err := f.enter("read")
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, f.pathErr("readat", errors.New("negative offset"))
	}
	if err := f.checkAlign(b, off); err != nil {
		return 0, f.pathErr("read", err)
	}
	for len(b) > 0 {
		m, err := f.pread(ctx, b, off)
		if err != nil {
			return n, f.pathErr("read", err)
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
		b = b[m:]
		off += int64(m)
	}
	return n, nil
}

// WriteAt writes b at off, as os.File.WriteAt does: it returns an error
// when it writes fewer than len(b) bytes. A file opened with O_APPEND
// refuses it.
func (f *File) WriteAt(b []byte, off int64) (n int, err error) {
	ctx, err := f.enter("write")
	if err != nil {
		return 0, err
	}
	if f.append {
		return 0, errors.New("fs: invalid use of WriteAt on file opened with O_APPEND")
	}
	if off < 0 {
		return 0, f.pathErr("writeat", errors.New("negative offset"))
	}
	return f.writeAll(ctx, b, off)
}

// writeAll writes all of b at off (off < 0: at the file position).
func (f *File) writeAll(ctx context.Context, b []byte, off int64) (n int, err error) {
	if err := f.checkAlign(b, off); err != nil {
		return 0, f.pathErr("write", err)
	}
	for len(b) > 0 {
		m, err := f.do(ctx, &op{kind: opWrite, buf: b, off: off}, "File.Write")
		if err != nil {
			return n, f.pathErr("write", err)
		}
		if m == 0 {
			return n, f.pathErr("write", io.ErrShortWrite)
		}
		n += m
		b = b[m:]
		if off >= 0 {
			off += int64(m)
		}
	}
	return n, nil
}

// Read reads up to len(b) bytes at the file's offset and advances it, as
// os.File.Read does: 0, io.EOF at the end of the file.
func (f *File) Read(b []byte) (int, error) {
	ctx, err := f.enter("read")
	if err != nil {
		return 0, err
	}
	if err := f.cursor.Lock(ctx); err != nil {
		return 0, f.pathErr("read", err)
	}
	defer f.cursor.Unlock()
	if len(b) == 0 {
		return 0, nil
	}
	if err := f.checkAlign(b, f.pos); err != nil {
		return 0, f.pathErr("read", err)
	}
	off := f.pos
	if f.stream {
		off = -1
	}
	n, err := f.pread(ctx, b, off)
	if err != nil {
		return 0, f.pathErr("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	f.pos += int64(n)
	return n, nil
}

// Write writes b at the file's offset (at the end with O_APPEND) and
// advances it, as os.File.Write does.
func (f *File) Write(b []byte) (int, error) {
	ctx, err := f.enter("write")
	if err != nil {
		return 0, err
	}
	if err := f.cursor.Lock(ctx); err != nil {
		return 0, f.pathErr("write", err)
	}
	defer f.cursor.Unlock()
	off := f.pos
	if f.append || f.stream {
		off = -1 // the kernel appends (or writes to the pipe) and moves the file position
	}
	n, err := f.writeAll(ctx, b, off)
	if !f.append && !f.stream {
		f.pos += int64(n)
	}
	return n, err
}

// Seek sets the offset for the next Read or Write, as os.File.Seek does.
// io.SeekEnd asks the kernel for the file's size.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	ctx, err := f.enter("seek")
	if err != nil {
		return 0, err
	}
	if err := f.cursor.Lock(ctx); err != nil {
		return 0, f.pathErr("seek", err)
	}
	defer f.cursor.Unlock()
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.pos
	case io.SeekEnd:
		fi, err := f.stat(ctx)
		if err != nil {
			return 0, err
		}
		base = fi.Size()
	default:
		return 0, f.pathErr("seek", unix.EINVAL)
	}
	if base+offset < 0 {
		return 0, f.pathErr("seek", unix.EINVAL)
	}
	f.pos = base + offset
	return f.pos, nil
}

// Sync commits the file's data and metadata to stable storage (fsync).
func (f *File) Sync() error { return f.sync(opFsync, "sync") }

// Datasync commits the file's data, and the metadata needed to read it
// back, to stable storage (fdatasync).
func (f *File) Datasync() error { return f.sync(opFdatasync, "datasync") }

func (f *File) sync(k kind, what string) error {
	ctx, err := f.enter(what)
	if err != nil {
		return err
	}
	if _, err := f.do(ctx, &op{kind: k}, "File.Sync"); err != nil {
		return f.pathErr(what, err)
	}
	return nil
}

// Stat returns the file's FileInfo.
func (f *File) Stat() (fs.FileInfo, error) {
	ctx, err := f.enter("stat")
	if err != nil {
		return nil, err
	}
	return f.stat(ctx)
}

func (f *File) stat(ctx context.Context) (fs.FileInfo, error) {
	o := &op{kind: opStatx, flags: unix.AT_EMPTY_PATH, mode: statxMask, stx: new(unix.Statx_t)}
	if _, err := f.do(ctx, o, "File.Stat"); err != nil {
		return nil, f.pathErr("stat", err)
	}
	return newFileInfo(filepath.Base(f.name), o.stx), nil
}

// Close closes the file. Operations still in flight on it are cancelled
// (they return os.ErrClosed, or their result if they were too far along)
// and Close waits for them before it closes the descriptor, so that no
// operation can reach a descriptor number the process has reused. A
// second Close returns an error matching os.ErrClosed.
//
// Close may be called from a plain task of the file's loop as well as from
// a fiber; there it does not wait, and the descriptor is closed when the
// last operation completes.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	if f.closed {
		return f.pathErr("close", os.ErrClosed)
	}
	l := f.st.l
	if !l.OnLoop() {
		return f.pathErr("close", ErrNotFiber)
	}
	f.closed = true
	for _, o := range f.ops {
		f.st.be.cancel(o)
	}
	if len(f.ops) > 0 {
		ctx := fiber.Self(l)
		if ctx == nil {
			f.closeW = fiber.Waiter{}
			f.closeLater()
			return nil
		}
		bg := context.WithoutCancel(ctx)
		for len(f.ops) > 0 {
			_ = fiber.Suspend(bg, "File.Close", func(w fiber.Waiter) { f.closeW = w })
		}
	}
	if err := f.closeFd(); err != nil {
		return f.pathErr("close", err)
	}
	return nil
}

// closeLater closes the descriptor once the last op in flight completes,
// for a Close that could not wait.
func (f *File) closeLater() {
	for _, o := range f.ops {
		next := o.then
		o.then = func(o *op) {
			if next != nil {
				next(o)
			} else {
				o.w.Wake()
			}
			if len(f.ops) == 0 {
				f.closeFd()
			}
		}
	}
}

// closeFd closes the descriptor, once.
func (f *File) closeFd() error {
	if f.sidx < 0 {
		return nil
	}
	f.st.removeFile(f)
	f.closed = true
	return os.NewSyscallError("close", ignoringEINTR(unix.Close(f.fd)))
}

// ignoringEINTR maps EINTR from close to success: on Linux the descriptor
// is closed even then, and retrying could close a reused one.
func ignoringEINTR(err error) error {
	if err == unix.EINTR {
		return nil
	}
	return err
}
