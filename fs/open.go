//go:build linux

package fs

import (
	"context"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// O_DIRECT asks OpenFile for direct I/O: reads and writes bypass the page
// cache and must be aligned (AlignedBuffer, AlignmentError).
const O_DIRECT = unix.O_DIRECT

// Open opens the named file for reading, parking the calling fiber (ctx
// is its context) until it is open. The file belongs to the fiber's loop.
func Open(ctx context.Context, name string) (*File, error) {
	return OpenFile(ctx, name, os.O_RDONLY, 0)
}

// Create creates or truncates the named file for reading and writing,
// with mode 0666 before the umask, as os.Create does.
func Create(ctx context.Context, name string) (*File, error) {
	return OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_CREATE,
// O_DIRECT, ...) and, when it creates the file, perm before the umask, as
// os.OpenFile does. Errors are *fs.PathError values: errors.Is(err,
// fs.ErrNotExist) works.
func OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	st := stateOf(fiber.Loop(ctx))
	return st.open(ctx, name, flag, perm)
}

// open opens name as a File of st's loop.
func (st *state) open(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	o := openOp(name, flag, perm)
	if err := st.await(ctx, o, "fs.Open"); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if o.res < 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: o.err()}
	}
	return st.newFile(int(o.res), name, flag, o.stx), nil
}

// openOp is the op that opens name.
func openOp(name string, flag int, perm fs.FileMode) *op {
	return &op{kind: opOpen, path: name, flags: flag | unix.O_CLOEXEC, mode: sysMode(perm), stx: new(unix.Statx_t)}
}

// newFile makes the File of a descriptor just opened; sx is the statx
// the open made of it: it tells a pipe or device (read and written at the
// file position, as os.File does) and what O_DIRECT requires.
func (st *state) newFile(fd int, name string, flag int, sx *unix.Statx_t) *File {
	f := &File{st: st, fd: fd, name: name, direct: flag&unix.O_DIRECT != 0, append: flag&os.O_APPEND != 0}
	if sx.Mask&unix.STATX_TYPE != 0 {
		switch uint32(sx.Mode) & unix.S_IFMT {
		case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFSOCK:
			f.stream = true
		}
	}
	if f.direct && sx.Mask&unix.STATX_DIOALIGN != 0 {
		f.align = dioAlign{Mem: sx.Dio_mem_align, Off: sx.Dio_offset_align}
	}
	st.addFile(f)
	return f
}
