//go:build linux

package fs

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// pathOp runs an op on paths for a fiber and returns its errno, or ctx's
// error if it was cancelled.
func pathOp(ctx context.Context, o *op, what string) error {
	st := stateOf(fiber.Loop(ctx))
	if err := st.await(ctx, o, what); err != nil {
		return err
	}
	return o.err()
}

// Stat returns the FileInfo of the named file, following symbolic links,
// as os.Stat does.
func Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return stat(ctx, name, 0, "stat")
}

// Lstat is Stat without following a final symbolic link, as os.Lstat.
func Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return stat(ctx, name, unix.AT_SYMLINK_NOFOLLOW, "lstat")
}

func stat(ctx context.Context, name string, flags int, what string) (fs.FileInfo, error) {
	o := &op{kind: opStatx, fd: unix.AT_FDCWD, path: name, flags: flags, mode: statxMask, stx: new(unix.Statx_t)}
	if err := pathOp(ctx, o, "fs.Stat"); err != nil {
		return nil, &fs.PathError{Op: what, Path: name, Err: err}
	}
	return newFileInfo(filepath.Base(name), o.stx), nil
}

// Remove removes the named file or empty directory, as os.Remove does.
func Remove(ctx context.Context, name string) error {
	e1 := pathOp(ctx, &op{kind: opUnlink, path: name}, "fs.Remove")
	if e1 == nil {
		return nil
	}
	if ctx.Err() != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: e1}
	}
	e2 := pathOp(ctx, &op{kind: opUnlink, path: name, flags: unix.AT_REMOVEDIR}, "fs.Remove")
	if e2 == nil {
		return nil
	}
	// Both failed: report the error that says more, as os.Remove does.
	if e2 != unix.ENOTDIR {
		e1 = e2
	}
	return &fs.PathError{Op: "remove", Path: name, Err: e1}
}

// Rename renames (moves) oldpath to newpath, replacing newpath if it is a
// file, as os.Rename does; errors are *os.LinkError values.
func Rename(ctx context.Context, oldpath, newpath string) error {
	if err := pathOp(ctx, &op{kind: opRename, path: oldpath, path2: newpath}, "fs.Rename"); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// Mkdir creates a directory with perm before the umask, as os.Mkdir does.
func Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	if err := pathOp(ctx, &op{kind: opMkdir, path: name, mode: sysMode(perm)}, "fs.Mkdir"); err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	return nil
}

// ReadDir reads the named directory and returns its entries sorted by
// name, as os.ReadDir does. io_uring has no directory read, so it runs on
// the offload pool with either back-end. An entry's Type is known at once;
// its Info makes an lstat on the calling thread, so in a fiber prefer
// Lstat.
func ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return fiber.Blocking(ctx, func(context.Context) ([]fs.DirEntry, error) {
		return os.ReadDir(name)
	})
}

// ReadFile reads the whole named file, as os.ReadFile does.
func ReadFile(ctx context.Context, name string) ([]byte, error) {
	st := stateOf(fiber.Loop(ctx))
	f, err := st.open(ctx, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 512
	if fi, err := f.stat(ctx); err == nil && fi.Size() > 0 && fi.Size() < 1<<40 {
		size = int(fi.Size()) + 1 // one more, to see the end at once
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.pread(ctx, data[len(data):cap(data)], int64(len(data)))
		if err != nil {
			return data, f.pathErr("read", err)
		}
		if n == 0 {
			return data, nil
		}
		data = data[:len(data)+n]
	}
}

// WriteFile writes data to the named file atomically: it writes a
// temporary file in the same directory, fsyncs it, renames it over name
// and fsyncs the directory, so that after a crash name holds either its
// old content or all of data, never a part. The file gets perm (before
// the umask); unlike os.WriteFile, an existing file's mode and owner are
// not kept, since the file is a new one.
func WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	st := stateOf(fiber.Loop(ctx))
	var (
		tmp string
		f   *File
		err error
	)
	for i := 0; ; i++ {
		tmp = name + ".tmp" + strconv.FormatUint(uint64(rand.Uint32()), 36)
		f, err = st.open(ctx, tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 100 {
			break
		}
	}
	if err != nil {
		return err
	}
	_, err = f.writeAll(ctx, data, 0)
	if err == nil {
		_, err = f.do(ctx, &op{kind: opFsync}, "fs.WriteFile")
		if err != nil {
			err = f.pathErr("sync", err)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = Rename(ctx, tmp, name)
	}
	if err != nil {
		_ = Remove(context.WithoutCancel(ctx), tmp)
		return err
	}
	return syncDir(ctx, st, filepath.Dir(name))
}

// syncDir fsyncs a directory, making a rename in it durable.
func syncDir(ctx context.Context, st *state, dir string) error {
	d, err := st.open(ctx, dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	_, err = d.do(ctx, &op{kind: opFsync}, "fs.WriteFile")
	if cerr := d.Close(); err == nil && cerr != nil {
		return cerr
	}
	if err != nil {
		return d.pathErr("sync", err)
	}
	return nil
}
