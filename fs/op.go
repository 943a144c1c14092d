//go:build linux

package fs

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// kind is what an operation does.
type kind uint8

const (
	opRead      kind = iota // pread(fd, buf, off); off < 0: read(fd, buf)
	opWrite                 // pwrite(fd, buf, off); off < 0: write(fd, buf)
	opFsync                 // fsync(fd)
	opFdatasync             // fdatasync(fd)
	// The kinds from here on are metadata (kind.metadata).
	opOpen   // openat(AT_FDCWD, path, flags, mode), then statx of the fd into stx
	opStatx  // statx(fd or AT_FDCWD, path, flags, mask, stx)
	opRename // renameat(AT_FDCWD, path, AT_FDCWD, path2)
	opUnlink // unlinkat(AT_FDCWD, path, flags)
	opMkdir  // mkdirat(AT_FDCWD, path, mode)
)

// metadata reports whether k works on names and inodes rather than on a
// file's data.
func (k kind) metadata() bool { return k >= opOpen }

// An op is one system call on its way through a back-end: submitted on
// the loop, carried out by the kernel (io_uring: reads, writes, fsyncs)
// or a worker (the pool, and every metadata op), and completed on the
// loop. It keeps everything the kernel reads or writes (the buffer, the
// statx result) reachable until it completes; Go's heap does not move, so the addresses
// in a submission stay valid. The buffer cannot be on a fiber's stack:
// storing it in an op makes it escape to the heap in the caller.
type op struct {
	kind  kind
	fd    int
	flags int
	mode  uint32
	off   int64
	buf   []byte
	path  string
	path2 string
	stx   *unix.Statx_t

	// res is the outcome: a count or fd when >= 0, minus the errno
	// otherwise. done says it is in.
	res  int32
	done bool

	// Who is told: a parked fiber, or a function (the future face).
	w    fiber.Waiter
	then func(o *op)

	file *File  // the file the op works on, if any
	fidx int32  // index in file.ops while in flight
	slot uint32 // back-end bookkeeping (io_uring: the user-data slot)
}

// complete records res and tells whoever waits. Loop goroutine only.
func (o *op) complete(res int32) {
	o.res, o.done = res, true
	o.drop()
	if o.then != nil {
		o.then(o)
		return
	}
	o.w.Wake()
}

// drop forgets an op that will never start (its file stops counting it
// as in flight).
func (o *op) drop() {
	if f := o.file; f != nil {
		f.untrack(o)
	}
}

// err returns the op's errno, or nil.
func (o *op) err() error {
	if o.res >= 0 {
		return nil
	}
	return unix.Errno(-o.res)
}

// bufAddr is the address of b's first byte, or 0 for an empty b.
func bufAddr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// syscallOf runs o as a blocking system call, for the worker back-end and
// for whatever io_uring cannot do, and returns what a completion would
// carry: a count or fd, or minus the errno. EINTR is retried.
func syscallOf(o *op) int32 {
	for {
		n, err := syscallOnce(o)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -int32(err.(unix.Errno))
		}
		return int32(n)
	}
}

func syscallOnce(o *op) (int, error) {
	switch o.kind {
	case opRead:
		if o.off < 0 {
			return unix.Read(o.fd, o.buf)
		}
		return unix.Pread(o.fd, o.buf, o.off)
	case opWrite:
		if o.off < 0 {
			return unix.Write(o.fd, o.buf)
		}
		return unix.Pwrite(o.fd, o.buf, o.off)
	case opFsync:
		return 0, unix.Fsync(o.fd)
	case opFdatasync:
		return 0, unix.Fdatasync(o.fd)
	case opOpen:
		fd, err := unix.Openat(unix.AT_FDCWD, o.path, o.flags, o.mode)
		if err == nil && o.stx != nil {
			// What the new File needs to know (a pipe or device? what
			// O_DIRECT requires?), asked here on the worker rather than
			// on the loop. On failure the mask stays 0: nothing known.
			_ = unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_TYPE|unix.STATX_DIOALIGN, o.stx)
		}
		return fd, err
	case opStatx:
		return 0, unix.Statx(o.fd, o.path, o.flags, int(o.mode), o.stx)
	case opRename:
		return 0, unix.Renameat(unix.AT_FDCWD, o.path, unix.AT_FDCWD, o.path2)
	case opUnlink:
		return 0, unix.Unlinkat(unix.AT_FDCWD, o.path, o.flags)
	case opMkdir:
		return 0, unix.Mkdirat(unix.AT_FDCWD, o.path, o.mode)
	}
	panic("fs: unknown op")
}
