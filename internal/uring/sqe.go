package uring

import (
	"math"
	"unsafe"
)

// SQE is one submission queue entry, laid out exactly as the kernel's
// struct io_uring_sqe (64 bytes). Ring.SQE hands out SQEs that live in
// memory shared with the kernel: fill one with a Prep method, SetUserData
// and, if needed, SetFlags, before the Submit that sends it, and do not
// touch it after that Submit. A Prep method rewrites every field except
// the user data and the flags, so their order does not matter.
//
// # Memory the kernel reads or writes
//
// An SQE holds raw addresses: buffers, paths, a statx result. The kernel
// may use them at any time until the operation's CQE has been reaped, on
// its own threads, without the Go runtime knowing. Until then the caller
// must keep that memory reachable (a reference in the structure that waits
// for the CQE, say) and must not read, write, reuse or free it. The Prep
// methods make such memory escape to the heap, so a buffer made in the
// caller's frame is never left on a goroutine stack, which would move when
// it grows; the Go heap itself never moves objects.
type SQE struct {
	opcode      uint8  // opcode
	flags       uint8  // flags: IOSQE_*
	ioprio      uint16 // ioprio
	fd          int32  // fd, or an index into the registered files
	off         uint64 // off, or addr2
	addr        uint64 // addr
	len         uint32 // len
	opFlags     uint32 // rw_flags, fsync_flags, open_flags, statx_flags, rename_flags, unlink_flags, cancel_flags
	userData    uint64 // user_data
	bufIndex    uint16 // buf_index
	personality uint16 // personality
	fileIndex   uint32 // file_index, or splice_fd_in
	addr3       uint64 // addr3
	_           uint64 // __pad2
}

// SetUserData sets the value the operation's CQE carries back in UserData.
// The kernel does not look at it; cancellation (PrepCancel) finds
// operations by it.
func (s *SQE) SetUserData(u uint64) { s.userData = u }

// SetFlags sets the SQE's flags: an OR of SQEFixedFile, SQELink and the
// other SQE* constants.
func (s *SQE) SetFlags(f uint8) { s.flags = f }

// prep rewrites every field but the user data and the flags.
func (s *SQE) prep(op uint8, fd int, addr uint64, n uint32, off uint64) {
	*s = SQE{opcode: op, flags: s.flags, fd: int32(fd), off: off, addr: addr, len: n, userData: s.userData}
}

// PrepNop prepares an operation that does nothing and completes with Res 0:
// a way to measure the ring, or to wake the loop that reaps it.
func (s *SQE) PrepNop() { s.prep(OpNop, -1, 0, 0, 0) }

// PrepRead prepares read(2) of up to len(buf) bytes from fd at offset off
// into buf (pread). An off of ^uint64(0) reads at the file's current
// position and advances it, as read(2) does (IORING_FEAT_RW_CUR_POS, 5.6);
// a pipe or socket ignores off. Res is the number of bytes read, less than
// len(buf) near the end of the file and 0 at it. buf must stay untouched
// and reachable until the CQE (see SQE).
//
// A read of an empty pipe or socket waits in the kernel until data comes,
// for as long as it takes (PrepCancel ends the wait), and on Linux 6.18
// it does so even on an O_NONBLOCK descriptor; some older kernels answer
// -EAGAIN for those instead.
func (s *SQE) PrepRead(fd int, buf []byte, off uint64) {
	s.prep(OpRead, fd, sliceAddr(buf), sliceLen(buf), off)
}

// PrepWrite prepares write(2) of buf to fd at offset off (pwrite), or at
// the current position if off is ^uint64(0). Res is the number of bytes
// written, which may be fewer than len(buf). buf must stay untouched and
// reachable until the CQE (see SQE).
func (s *SQE) PrepWrite(fd int, buf []byte, off uint64) {
	s.prep(OpWrite, fd, sliceAddr(buf), sliceLen(buf), off)
}

// PrepSend prepares send(2) of buf on socket fd with the MSG_* flags in
// msgFlags. With unix.MSG_DONTWAIT in them the kernel never waits for
// room: the operation completes inside the Submit that starts it, with
// -EAGAIN if the socket's buffer is full, where without it the kernel
// would wait for room on the socket's poll. Res is the number of bytes
// sent. buf must stay untouched and reachable until the CQE (see SQE).
func (s *SQE) PrepSend(fd int, buf []byte, msgFlags uint32) {
	s.prep(OpSend, fd, sliceAddr(buf), sliceLen(buf), 0)
	s.opFlags = msgFlags
}

// PrepRecv prepares recv(2) into buf from socket fd with the MSG_* flags
// in msgFlags. With unix.MSG_DONTWAIT the operation completes inside the
// Submit that starts it, with -EAGAIN when no data is waiting (as
// PrepSend). Res is the number of bytes received, 0 at the end of the
// stream. buf must stay untouched and reachable until the CQE (see SQE).
func (s *SQE) PrepRecv(fd int, buf []byte, msgFlags uint32) {
	s.prep(OpRecv, fd, sliceAddr(buf), sliceLen(buf), 0)
	s.opFlags = msgFlags
}

// PrepReadFixed is PrepRead into a buffer registered with
// Ring.RegisterBuffers: buf must lie inside registered buffer bufIndex.
// The kernel skips pinning and mapping the pages for each operation.
func (s *SQE) PrepReadFixed(fd int, buf []byte, off uint64, bufIndex uint16) {
	s.prep(OpReadFixed, fd, sliceAddr(buf), sliceLen(buf), off)
	s.bufIndex = bufIndex
}

// PrepWriteFixed is PrepWrite from a buffer registered with
// Ring.RegisterBuffers: buf must lie inside registered buffer bufIndex.
func (s *SQE) PrepWriteFixed(fd int, buf []byte, off uint64, bufIndex uint16) {
	s.prep(OpWriteFixed, fd, sliceAddr(buf), sliceLen(buf), off)
	s.bufIndex = bufIndex
}

// PrepFsync prepares fsync(2) of fd, or fdatasync(2) if datasync is true.
func (s *SQE) PrepFsync(fd int, datasync bool) {
	s.prep(OpFsync, fd, 0, 0, 0)
	if datasync {
		s.opFlags = fsyncDatasync
	}
}

// PrepOpenat prepares openat(2) of the NUL-terminated path (from
// unix.BytePtrFromString, say) relative to dirfd, with open flags and
// mode. Res is the new file descriptor. Pass O_CLOEXEC in flags as for
// any descriptor a Go program opens. path must stay reachable until the
// CQE (see SQE).
func (s *SQE) PrepOpenat(dirfd int, path *byte, flags int, mode uint32) {
	s.prep(OpOpenat, dirfd, ptrAddr(unsafe.Pointer(path)), mode, 0)
	s.opFlags = uint32(flags)
}

// PrepClose prepares close(2) of fd.
func (s *SQE) PrepClose(fd int) { s.prep(OpClose, fd, 0, 0, 0) }

// PrepRenameat prepares renameat2(2) of oldpath relative to olddirfd to
// newpath relative to newdirfd, both NUL-terminated, with RENAME_* flags.
// Both paths must stay reachable until the CQE (see SQE).
func (s *SQE) PrepRenameat(olddirfd int, oldpath *byte, newdirfd int, newpath *byte, flags uint32) {
	// The kernel reads the new directory from len and the new path from off
	// (addr2).
	s.prep(OpRenameat, olddirfd, ptrAddr(unsafe.Pointer(oldpath)), uint32(int32(newdirfd)), ptrAddr(unsafe.Pointer(newpath)))
	s.opFlags = flags
}

// PrepUnlinkat prepares unlinkat(2) of the NUL-terminated path relative to
// dirfd; flags is 0 or AT_REMOVEDIR. path must stay reachable until the
// CQE (see SQE).
func (s *SQE) PrepUnlinkat(dirfd int, path *byte, flags int) {
	s.prep(OpUnlinkat, dirfd, ptrAddr(unsafe.Pointer(path)), 0, 0)
	s.opFlags = uint32(flags)
}

// PrepMkdirat prepares mkdirat(2) of the NUL-terminated path relative to
// dirfd with mode. path must stay reachable until the CQE (see SQE).
func (s *SQE) PrepMkdirat(dirfd int, path *byte, mode uint32) {
	s.prep(OpMkdirat, dirfd, ptrAddr(unsafe.Pointer(path)), mode, 0)
}

// PrepCancel prepares the cancellation of the operation in flight whose
// user data is target; flags is 0 or CancelAll. The cancelled operation
// completes with Res -ECANCELED (or with its own result, if it was done
// first); the cancel's own CQE has Res 0 when it found the operation,
// -ENOENT when it found none, and -EALREADY when the operation is running
// and can only be asked to stop: a read of a regular file on a kernel
// worker cannot be interrupted, and finishes as it would have.
func (s *SQE) PrepCancel(target uint64, flags uint32) {
	s.prep(OpAsyncCancel, -1, target, 0, 0)
	s.opFlags = flags
}

// sliceAddr returns the address of buf's first byte for the kernel, and
// makes buf's array escape to the heap.
func sliceAddr(buf []byte) uint64 { return ptrAddr(unsafe.Pointer(unsafe.SliceData(buf))) }

// sliceLen returns len(buf) as the SQE's 32-bit length. A longer buffer is
// cut to 4 GiB - 1, which only makes the transfer short: Linux moves at
// most 0x7ffff000 bytes per read or write anyway.
func sliceLen(buf []byte) uint32 { return uint32(min(len(buf), math.MaxUint32)) }

// ptrAddr returns p as an address for the kernel, and makes what p points
// to escape to the heap.
//
// Escape analysis does not follow a pointer once it is an integer, so the
// conversion alone would let a buffer made in the caller's frame live on
// the goroutine's stack, which is copied elsewhere when it grows: the
// kernel would then write where the buffer used to be. Storing p in a
// global, on a path that never runs, is enough for the compiler to put it
// on the heap, at the cost of a load and a branch.
func ptrAddr(p unsafe.Pointer) uint64 {
	if escapeSink.never {
		escapeSink.p = p
	}
	return uint64(uintptr(p))
}

// escapeSink is ptrAddr's never-taken destination. never is never set.
var escapeSink struct {
	never bool
	p     unsafe.Pointer
}
