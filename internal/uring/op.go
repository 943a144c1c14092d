package uring

// Opcodes of the operations this package prepares: enum io_uring_op in
// include/uapi/linux/io_uring.h, with the kernel version that added each.
// Pass them to Ring.Supports before relying on one.
const (
	OpNop         uint8 = 0  // IORING_OP_NOP (5.1)
	OpFsync       uint8 = 3  // IORING_OP_FSYNC (5.1)
	OpReadFixed   uint8 = 4  // IORING_OP_READ_FIXED (5.1)
	OpWriteFixed  uint8 = 5  // IORING_OP_WRITE_FIXED (5.1)
	OpAsyncCancel uint8 = 14 // IORING_OP_ASYNC_CANCEL (5.5)
	OpOpenat      uint8 = 18 // IORING_OP_OPENAT (5.6)
	OpClose       uint8 = 19 // IORING_OP_CLOSE (5.6)
	OpStatx       uint8 = 21 // IORING_OP_STATX (5.6)
	OpRead        uint8 = 22 // IORING_OP_READ (5.6)
	OpWrite       uint8 = 23 // IORING_OP_WRITE (5.6)
	OpSend        uint8 = 26 // IORING_OP_SEND (5.6)
	OpRecv        uint8 = 27 // IORING_OP_RECV (5.6)
	OpRenameat    uint8 = 35 // IORING_OP_RENAMEAT (5.11)
	OpUnlinkat    uint8 = 36 // IORING_OP_UNLINKAT (5.11)
	OpMkdirat     uint8 = 37 // IORING_OP_MKDIRAT (5.15)
)

// Flags for SQE.SetFlags: IOSQE_* in include/uapi/linux/io_uring.h.
const (
	// SQEFixedFile says the SQE's fd is an index into the table given to
	// Ring.RegisterFiles, not a file descriptor.
	SQEFixedFile uint8 = 1 << 0 // IOSQE_FIXED_FILE
	// SQEDrain starts the operation only once every earlier one has
	// completed, and holds back later ones until it has.
	SQEDrain uint8 = 1 << 1 // IOSQE_IO_DRAIN
	// SQELink makes the next SQE wait for this one, and fail with
	// -ECANCELED if this one fails or comes up short.
	SQELink uint8 = 1 << 2 // IOSQE_IO_LINK
	// SQEHardLink is SQELink that goes on even when this one fails.
	SQEHardLink uint8 = 1 << 3 // IOSQE_IO_HARDLINK
	// SQEAsync skips the kernel's non-blocking first try and hands the
	// operation straight to its worker threads.
	SQEAsync uint8 = 1 << 4 // IOSQE_ASYNC
	// SQESkipSuccess posts no CQE when the operation succeeds (5.17).
	SQESkipSuccess uint8 = 1 << 6 // IOSQE_CQE_SKIP_SUCCESS
)

// CancelAll, in PrepCancel's flags, cancels every operation with the
// target user data instead of the first one found; the cancel's CQE then
// carries how many were cancelled (5.19). IORING_ASYNC_CANCEL_ALL.
const CancelAll uint32 = 1 << 0

// fsyncDatasync is IORING_FSYNC_DATASYNC, in the SQE's fsync_flags.
const fsyncDatasync = 1 << 0
