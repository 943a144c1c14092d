package uring

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance: a submission queue (SQ) of SQEs the
// program fills and the kernel consumes, a completion queue (CQ) of CQEs
// the kernel fills and the program consumes, and an eventfd the kernel
// signals when it posts CQEs.
//
// A Ring is not safe for concurrent use: one goroutine at a time may call
// its methods, which need no locks. It may be handed from goroutine to
// goroutine, and from OS thread to OS thread, between calls, as long as
// the hand-off synchronises (a channel, a mutex, a loop's task queue).
type Ring struct {
	fd  int // the ring's descriptor; -1 once closed
	efd int // the eventfd registered with the ring

	// The mappings of the ring fd. cqRing is sqRing when the kernel has
	// IORING_FEAT_SINGLE_MMAP.
	sqRing, cqRing, sqeMem []byte

	// The SQ. The kernel advances *sqHead as it consumes SQEs; we publish
	// SQEs by storing tail in *sqTail. tail counts the SQEs handed out by
	// SQE, published or not.
	sqHead  *uint32
	sqTail  *uint32
	sqFlags *uint32
	sqMask  uint32
	sqes    []SQE
	tail    uint32

	// The CQ. The kernel advances *cqTail as it posts CQEs; we free their
	// slots by storing head in *cqHead.
	cqHead *uint32
	cqTail *uint32
	cqMask uint32
	cqes   []CQE
	head   uint32

	// supported has bit op set when the kernel's probe reports op.
	supported [4]uint64
}

// New sets up a ring with cfg's sizes, maps its queues, and registers an
// eventfd with it.
//
// It asks the kernel for IORING_SETUP_COOP_TASKRUN, TASKRUN_FLAG and
// SUBMIT_ALL, and sets up without them on a kernel too old to know them.
// It never asks for SINGLE_ISSUER or DEFER_TASKRUN: both tie the ring to
// one OS thread, and a goroutine moves between threads.
//
// Errors are *os.SyscallError values. When io_uring cannot be used at all
// (ENOSYS: no io_uring in the kernel; EPERM: kernel.io_uring_disabled, or
// a seccomp filter such as a container runtime's) the error also matches
// errors.ErrUnsupported, as it does on a kernel older than 5.5, which can
// drop completions. An Entries that is not a power of two from 1 to 32768
// is an error too.
func New(cfg Config) (*Ring, error) {
	entries := cfg.Entries
	if entries == 0 {
		entries = defaultEntries
	}
	if entries > maxEntries || entries&(entries-1) != 0 {
		return nil, fmt.Errorf("uring: Config.Entries %d is not a power of two from 1 to %d", cfg.Entries, maxEntries)
	}
	p, fd, err := setup(entries, cfg.CQEntries)
	if err != nil {
		return nil, err
	}
	r := &Ring{fd: fd, efd: -1}
	if p.features&featNoDrop == 0 {
		r.Close()
		return nil, &unsupportedError{errors.New("the kernel lacks IORING_FEAT_NODROP (Linux 5.5)")}
	}
	if err := r.mmap(&p); err != nil {
		r.Close()
		return nil, err
	}
	if !cfg.NoEventFD {
		if err := r.setupEventFD(); err != nil {
			r.Close()
			return nil, err
		}
	}
	r.probe()
	return r, nil
}

// setup calls io_uring_setup, dropping the optional flags, newest first,
// for as long as the kernel answers EINVAL.
//
// COOP_TASKRUN spares the submitting thread an interrupt when an operation
// that waited (on a pipe's poll, say) completes: the kernel finishes it,
// and posts its CQE, when that thread next enters the kernel, and wakes
// it if it sleeps. TASKRUN_FLAG makes the kernel also raise
// IORING_SQ_TASKRUN while such work waits. Reap does not act on the flag:
// entering the kernel runs only the calling thread's work, and a Ring's
// goroutine may have moved off the thread that submitted.
func setup(entries, cqEntries uint32) (params, int, error) {
	flags := uint32(setupClamp | setupSubmitAll | setupCoopTaskrun | setupTaskrunFlag)
	if cqEntries != 0 {
		flags |= setupCQSize
	}
	optional := []uint32{setupCoopTaskrun | setupTaskrunFlag, setupSubmitAll}
	for {
		p := params{flags: flags, cqEntries: cqEntries}
		fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
		switch {
		case errno == 0:
			return p, int(fd), nil
		case errno == unix.EINVAL && len(optional) > 0:
			flags &^= optional[0]
			optional = optional[1:]
		case errno == unix.ENOSYS || errno == unix.EPERM:
			return p, -1, &unsupportedError{os.NewSyscallError("io_uring_setup", errno)}
		default:
			return p, -1, os.NewSyscallError("io_uring_setup", errno)
		}
	}
}

// mmap maps the rings and the SQE array that io_uring_setup described in
// p, and points r's fields into them.
func (r *Ring) mmap(p *params) error {
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED | unix.MAP_POPULATE
	sqSize := int(p.sqOff.array) + int(p.sqEntries)*4
	cqSize := int(p.cqOff.cqes) + int(p.cqEntries)*cqeSize
	single := p.features&featSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	if r.sqRing, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap", err)
	}
	if single {
		r.cqRing = r.sqRing
	} else if r.cqRing, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap", err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*sqeSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap", err)
	}

	r.sqHead = word(r.sqRing, p.sqOff.head)
	r.sqTail = word(r.sqRing, p.sqOff.tail)
	r.sqFlags = word(r.sqRing, p.sqOff.flags)
	r.sqMask = *word(r.sqRing, p.sqOff.ringMask)
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.tail = atomic.LoadUint32(r.sqTail)

	r.cqHead = word(r.cqRing, p.cqOff.head)
	r.cqTail = word(r.cqRing, p.cqOff.tail)
	r.cqMask = *word(r.cqRing, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*CQE)(unsafe.Pointer(&r.cqRing[p.cqOff.cqes])), p.cqEntries)
	r.head = atomic.LoadUint32(r.cqHead)

	// The SQ ring holds indexes into the SQE array, which lets a program
	// fill SQEs out of order. SQE hands out slot tail&mask for ring
	// position tail, so the index at position i is always i: written once
	// here, never by the kernel, and made visible to it by the atomic store
	// of the tail that first publishes an SQE.
	array := unsafe.Slice(word(r.sqRing, p.sqOff.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	return nil
}

// word returns a pointer to the 32-bit word at byte offset off in the
// mapping m.
func word(m []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&m[off])) }

// setupEventFD creates the eventfd and registers it with the ring.
func (r *Ring) setupEventFD() error {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	r.efd = efd
	fd := int32(efd)
	if err := r.register(registerEventFD, unsafe.Pointer(&fd), 1); err != nil {
		return os.NewSyscallError("io_uring_register", err)
	}
	return nil
}

// EventFD returns the ring's eventfd, which the kernel signals whenever it
// posts CQEs: a loop polls it for readability, calls DrainEventFD, then
// Reap. It is non-blocking and close-on-exec, and belongs to the Ring:
// do not close it. -1 once the Ring is closed, and for a Ring made with
// Config.NoEventFD.
func (r *Ring) EventFD() int { return r.efd }

// Supports reports whether the kernel supports opcode op (OpRead, say), as
// IORING_REGISTER_PROBE answered when the Ring was made. It is false for
// every opcode on a kernel older than 5.6, which has no probe.
func (r *Ring) Supports(op uint8) bool { return r.supported[op/64]&(1<<(op%64)) != 0 }

// DrainEventFD resets the eventfd's counter, so that polling it waits for
// the next completion. Call it before Reap: a completion posted between
// the two is then both reaped and signalled, never lost. It does not
// block.
func (r *Ring) DrainEventFD() {
	if r.efd < 0 {
		return
	}
	var b [8]byte
	for {
		if _, err := unix.Read(r.efd, b[:]); err != unix.EINTR {
			return // EAGAIN when the counter was already 0
		}
	}
}

// Close unmaps the ring and closes its descriptor and its eventfd. A
// second Close returns an error that matches os.ErrClosed; after Close,
// SQE returns nil, Submit and the registration methods return that error,
// and Reap returns 0.
//
// Close does not wait for operations in flight. The kernel tears the ring
// down in the background, cancelling what it can, and an operation
// already running on one of its worker threads (a read of a regular file)
// finishes first: its buffer may still be written after Close returns.
// Reap every operation's CQE before Close if the buffers are to be
// reused. Registered files and buffers are released in the teardown too.
func (r *Ring) Close() error {
	if r.fd < 0 {
		return errClosed
	}
	// Nothing is unregistered first: the ring's end drops the eventfd,
	// the files and the buffers with it, and unregistering on a kernel
	// before 5.13 would wait for the operations in flight.
	var errs []error
	unmap := func(m []byte) {
		if m != nil {
			if err := unix.Munmap(m); err != nil {
				errs = append(errs, os.NewSyscallError("munmap", err))
			}
		}
	}
	unmap(r.sqeMem)
	if len(r.cqRing) > 0 && len(r.sqRing) > 0 && &r.cqRing[0] != &r.sqRing[0] {
		unmap(r.cqRing)
	}
	unmap(r.sqRing)
	for _, fd := range []int{r.fd, r.efd} {
		if fd >= 0 {
			if err := unix.Close(fd); err != nil {
				errs = append(errs, os.NewSyscallError("close", err))
			}
		}
	}
	*r = Ring{fd: -1, efd: -1}
	return errors.Join(errs...)
}
