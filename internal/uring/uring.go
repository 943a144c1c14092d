package uring

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// Config sets the sizes of a Ring. The zero value asks for the defaults.
type Config struct {
	// Entries is the size of the submission queue: how many SQEs can wait
	// between two Submits. A power of two from 1 to 32768; 0 means 256.
	Entries uint32

	// CQEntries is the size of the completion queue; 0 means twice
	// Entries. It must be at least Entries; the kernel rounds it up to a
	// power of two and caps it at 65536. Completions that find the queue
	// full are not lost: the kernel holds them until Reap makes room.
	CQEntries uint32

	// NoEventFD makes a Ring without an eventfd, for a caller that never
	// waits for completions but reaps each batch inside the Submit that
	// starts it (SubmitAndWait): the kernel then signals nothing per
	// completion. EventFD returns -1.
	NoEventFD bool
}

// defaultEntries is Config.Entries' default, maxEntries its limit: the
// kernel's IORING_MAX_ENTRIES.
const (
	defaultEntries = 256
	maxEntries     = 32768
)

// CQE is one completion, copied out of the completion queue: struct
// io_uring_cqe, whose layout it shares.
type CQE struct {
	// UserData is the value the operation's SQE was given by SetUserData.
	UserData uint64
	// Res is what the system call would have returned: a count or a file
	// descriptor when it is 0 or more, minus the errno when negative
	// (-ENOENT, -ECANCELED).
	Res int32
	// Flags are IORING_CQE_F_* bits; none matter to the operations this
	// package prepares.
	Flags uint32
}

// errClosed is what a closed Ring's methods return.
var errClosed = fmt.Errorf("uring: ring %w", os.ErrClosed)

// unsupportedError says io_uring cannot be used here, and why: it matches
// errors.ErrUnsupported and still unwraps to its cause, an *os.SyscallError
// from io_uring_setup, say, so errors.Is(err, unix.EPERM) works too.
type unsupportedError struct{ err error }

func (e *unsupportedError) Error() string   { return "uring: io_uring unavailable: " + e.err.Error() }
func (e *unsupportedError) Unwrap() []error { return []error{e.err, errors.ErrUnsupported} }

// availability caches Available's answer.
var availability atomic.Pointer[availabilityResult]

type availabilityResult struct{ err error }

// Available returns nil if this process can use io_uring for files: the
// kernel has it, kernel.io_uring_disabled and seccomp let this process set
// up a ring, and the kernel supports every operation package fs builds on
// (OpRead to OpMkdirat; Linux 5.15 or later). Otherwise it returns an
// error that matches errors.ErrUnsupported and says why.
//
// The first call sets up and closes a small ring, which takes about
// 0.1 ms; later calls return the first answer. Reprobe asks again.
// Safe for concurrent use.
func Available() error {
	if a := availability.Load(); a != nil {
		return a.err
	}
	return Reprobe()
}

// Reprobe runs Available's checks afresh, makes their result the one
// Available returns from now on, and returns it. It is for tests that
// change what Available depends on. Safe for concurrent use.
func Reprobe() error {
	err := probeAvailable()
	availability.Store(&availabilityResult{err})
	return err
}
