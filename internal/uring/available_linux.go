package uring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// needed are the operations package fs submits to a ring (its metadata
// operations go to a thread pool, which was faster for them). Available
// reports io_uring unusable on a kernel that lacks one.
var needed = [...]struct {
	op   uint8
	name string
}{
	{OpNop, "IORING_OP_NOP"},
	{OpRead, "IORING_OP_READ (Linux 5.6)"},
	{OpWrite, "IORING_OP_WRITE (Linux 5.6)"},
	{OpFsync, "IORING_OP_FSYNC"},
	{OpAsyncCancel, "IORING_OP_ASYNC_CANCEL"},
}

// disabledSysctl is where Linux 6.6 and later say whether io_uring may be
// used: 0 by anyone, 1 only by members of kernel.io_uring_group (and
// CAP_SYS_ADMIN), 2 by no one. Older kernels lack the file. A variable
// for the tests.
var disabledSysctl = "/proc/sys/kernel/io_uring_disabled"

func probeAvailable() error {
	if b, err := os.ReadFile(disabledSysctl); err == nil && string(bytes.TrimSpace(b)) == "2" {
		return &unsupportedError{errors.New("kernel.io_uring_disabled is 2")}
	}
	// With 1, whether this process is in the group is io_uring_setup's to
	// say (EPERM): New tries.
	r, err := New(Config{Entries: 4})
	if err != nil {
		return err
	}
	defer r.Close()
	for _, n := range needed {
		if !r.Supports(n.op) {
			return &unsupportedError{fmt.Errorf("the kernel lacks %s", n.name)}
		}
	}
	return nil
}
