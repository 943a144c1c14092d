package uring

import "unsafe"

// The kernel's io_uring ABI, as include/uapi/linux/io_uring.h declares it.
// golang.org/x/sys/unix (v0.50.0) has the syscall numbers but none of these,
// so they are written out here; each value must match the header, and the
// opcodes, SQE flags and cancel flags exported in op.go must too.

// io_uring_setup flags (io_uring_params.flags).
const (
	setupCQSize      = 1 << 3 // IORING_SETUP_CQSIZE: cq_entries is ours (5.5)
	setupClamp       = 1 << 4 // IORING_SETUP_CLAMP: clamp sizes rather than fail (5.6)
	setupSubmitAll   = 1 << 7 // IORING_SETUP_SUBMIT_ALL: go on past an SQE that fails (5.18)
	setupCoopTaskrun = 1 << 8 // IORING_SETUP_COOP_TASKRUN: no IPI to a running submitter (5.19)
	setupTaskrunFlag = 1 << 9 // IORING_SETUP_TASKRUN_FLAG: IORING_SQ_TASKRUN in sq flags (5.19)
)

// io_uring_params.features.
const (
	featSingleMmap = 1 << 0 // IORING_FEAT_SINGLE_MMAP: SQ and CQ rings share one mapping (5.4)
	featNoDrop     = 1 << 1 // IORING_FEAT_NODROP: CQEs are never dropped on overflow (5.5)
)

// Offsets passed to mmap to select a region of the ring fd.
const (
	offSQRing = 0          // IORING_OFF_SQ_RING
	offCQRing = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs   = 0x10000000 // IORING_OFF_SQES
)

// Bits of the SQ ring's flags word, written by the kernel.
const (
	sqCQOverflow = 1 << 1 // IORING_SQ_CQ_OVERFLOW: CQEs wait in the kernel for room in the CQ
)

// io_uring_enter flags.
const (
	enterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS
)

// io_uring_register opcodes.
const (
	registerBuffers   = 0 // IORING_REGISTER_BUFFERS
	unregisterBuffers = 1 // IORING_UNREGISTER_BUFFERS
	registerFiles     = 2 // IORING_REGISTER_FILES
	unregisterFiles   = 3 // IORING_UNREGISTER_FILES
	registerEventFD   = 4 // IORING_REGISTER_EVENTFD
	registerProbe     = 8 // IORING_REGISTER_PROBE (5.6)
)

// opSupported is IO_URING_OP_SUPPORTED, in io_uring_probe_op.flags.
const opSupported = 1 << 0

// Sizes of the kernel's structures; the array declarations below fail to
// compile if a Go mirror drifts from them.
const (
	sqeSize    = 64  // sizeof(struct io_uring_sqe) without IORING_SETUP_SQE128
	cqeSize    = 16  // sizeof(struct io_uring_cqe) without IORING_SETUP_CQE32
	paramsSize = 120 // sizeof(struct io_uring_params)
)

var (
	_ [unsafe.Sizeof(SQE{}) - sqeSize]struct{}
	_ [sqeSize - unsafe.Sizeof(SQE{})]struct{}
	_ [unsafe.Sizeof(CQE{}) - cqeSize]struct{}
	_ [cqeSize - unsafe.Sizeof(CQE{})]struct{}
	_ [unsafe.Sizeof(params{}) - paramsSize]struct{}
	_ [paramsSize - unsafe.Sizeof(params{})]struct{}
)

// params is struct io_uring_params: what we ask io_uring_setup for, and
// what it answers (sizes, features, and where in the mappings each field
// lives).
type params struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFD         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// sqringOffsets is struct io_sqring_offsets: byte offsets into the SQ ring
// mapping.
type sqringOffsets struct {
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	flags       uint32
	dropped     uint32
	array       uint32
	resv1       uint32
	userAddr    uint64
}

// cqringOffsets is struct io_cqring_offsets: byte offsets into the CQ ring
// mapping.
type cqringOffsets struct {
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	overflow    uint32
	cqes        uint32
	flags       uint32
	resv1       uint32
	userAddr    uint64
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

// probe is struct io_uring_probe with room for every possible opcode. The
// kernel wants it zeroed on the way in (EINVAL otherwise) and caps the
// count it fills at its own IORING_OP_LAST.
type probe struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
	ops    [256]probeOp
}
