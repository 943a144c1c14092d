//go:build linux

package fs

import (
	"context"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// await starts o and parks the calling fiber until o completes. If ctx
// ends first, o is cancelled and the fiber goes on waiting for the
// completion, since the kernel may use o's buffer until then; await then
// returns ctx's error, unless o completed anyway (too far along to be
// cancelled, or it failed for a reason of its own): then it returns nil
// and the caller reads o.res, so that an operation that took effect (a
// write, an open) is never reported as not done.
func (st *state) await(ctx context.Context, o *op, what string) error {
	if st.err != nil {
		o.drop()
		return st.err
	}
	st.nowaitRun = 0
	st.be.start(o)
	if o.done {
		return nil // failed at once (the kernel refused the submission)
	}
	err := fiber.Suspend(ctx, what, func(w fiber.Waiter) { o.w = w })
	if err == nil {
		return nil
	}
	if !o.done {
		st.be.cancel(o)
		bg := context.WithoutCancel(ctx)
		for !o.done {
			_ = fiber.Suspend(bg, what, func(w fiber.Waiter) { o.w = w })
		}
	}
	if o.res == -int32(unix.ECANCELED) || o.res == -int32(unix.EINTR) {
		return err
	}
	return nil
}

// rawNowaitMax is the longest page-cache read made as a raw system call.
const rawNowaitMax = 64 << 10

// yieldEvery is how many bytes the page-cache fast path reads for a fiber
// before it yields to the others: a fiber reading a cached file never
// parks, and would otherwise keep the loop to itself.
const yieldEvery = 1 << 20

// readNowait reads at off from the page cache without blocking
// (preadv2 with RWF_NOWAIT), when the data is there: ok is false when it
// is not (or the kernel cannot say), and the read must go to the
// back-end. A count of 0 means the end of the file. For a warm cache this
// is one system call on the loop, as cheap as os.File.ReadAt, with no
// submission and no park.
func (f *File) readNowait(ctx context.Context, b []byte, off int64) (n int, ok bool) {
	st := f.st
	if f.noNowait || len(b) == 0 {
		return 0, false
	}
	if st.nowaitRun >= yieldEvery {
		st.nowaitRun = 0
		_ = fiber.Yield(ctx)
	}
	iov := unix.Iovec{Base: &b[0]}
	iov.SetLen(len(b))
	// A read that cannot wait is a raw system call (no hand-off of the
	// thread to the scheduler, 1-2 % of a cached 4 KiB read), as long as
	// the copy is short: a raw call cannot be preempted, and a garbage
	// collection waits for it.
	call := unix.Syscall6
	if len(b) <= rawNowaitMax {
		call = unix.RawSyscall6
	}
	r, _, e := call(unix.SYS_PREADV2, uintptr(f.fd), uintptr(unsafe.Pointer(&iov)), 1,
		uintptr(off), 0, unix.RWF_NOWAIT)
	switch e {
	case 0:
		st.nowaitRun += int(r)
		return int(r), true
	case unix.ENOSYS, unix.EOPNOTSUPP:
		f.noNowait = true // the kernel or this file system has no RWF_NOWAIT
	}
	return 0, false
}
