package uring

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// register calls io_uring_register, retrying EINTR: registration can wait
// for the ring to go idle, and a signal cuts that wait short.
func (r *Ring) register(op uint32, arg unsafe.Pointer, n uint32) error {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), uintptr(op), uintptr(arg), uintptr(n), 0, 0)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		default:
			return errno
		}
	}
}

// probe records the opcodes the kernel supports. A kernel without
// IORING_REGISTER_PROBE (before 5.6) leaves the set empty: it lacks
// OpRead and OpWrite anyway.
func (r *Ring) probe() {
	p := new(probe)
	if r.register(registerProbe, unsafe.Pointer(p), uint32(len(p.ops))) != nil {
		return
	}
	for _, o := range p.ops[:min(int(p.opsLen), len(p.ops))] {
		if o.flags&opSupported != 0 {
			r.supported[o.op/64] |= 1 << (o.op % 64)
		}
	}
}

// RegisterFiles registers fds as the ring's fixed files: an SQE with
// SQEFixedFile names one by its index in fds instead of by descriptor,
// which saves the kernel a reference count per operation. The kernel
// takes its own reference to each file, so closing a descriptor later
// does not unregister it; -1 leaves a slot empty. A ring has one table:
// UnregisterFiles before registering another.
func (r *Ring) RegisterFiles(fds []int32) error {
	if r.fd < 0 {
		return errClosed
	}
	var p unsafe.Pointer
	if len(fds) > 0 {
		p = unsafe.Pointer(&fds[0])
	}
	return wrapRegister(r.register(registerFiles, p, uint32(len(fds))))
}

// UnregisterFiles drops the table RegisterFiles made. On kernels before
// 5.13 it waits for every operation using a fixed file to finish.
func (r *Ring) UnregisterFiles() error {
	if r.fd < 0 {
		return errClosed
	}
	return wrapRegister(r.register(unregisterFiles, nil, 0))
}

// RegisterBuffers registers bufs for PrepReadFixed and PrepWriteFixed,
// which name one by its index. The kernel pins their pages until
// UnregisterBuffers or Close, and the pages count against
// RLIMIT_MEMLOCK; each buffer must be non-empty and at most 1 GiB. The
// kernel reads and writes the buffers' memory directly, so the caller
// must keep every buffer reachable until UnregisterBuffers, or until
// every operation has completed and the Ring is closed.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	if r.fd < 0 {
		return errClosed
	}
	iovs := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		iovs[i].Base = unsafe.SliceData(b)
		iovs[i].SetLen(len(b))
	}
	var p unsafe.Pointer
	if len(iovs) > 0 {
		p = unsafe.Pointer(&iovs[0])
	}
	return wrapRegister(r.register(registerBuffers, p, uint32(len(iovs))))
}

// UnregisterBuffers drops the buffers RegisterBuffers registered. On
// kernels before 5.13 it waits for every operation using one to finish.
func (r *Ring) UnregisterBuffers() error {
	if r.fd < 0 {
		return errClosed
	}
	return wrapRegister(r.register(unregisterBuffers, nil, 0))
}

func wrapRegister(err error) error {
	if err != nil {
		return os.NewSyscallError("io_uring_register", err)
	}
	return nil
}
