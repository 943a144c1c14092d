package process_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/process"
)

// bigPipe makes r's pipe hold 1 MiB, so that a child writing faster than
// the parent reads keeps more in it than one read takes: each read of
// the callback face is full, and only the package's bound ends a round.
func bigPipe(t *testing.T, r *process.PipeReader) {
	if _, err := unix.FcntlInt(uintptr(process.Fd(r)), unix.F_SETPIPE_SZ, 1<<20); err != nil {
		t.Errorf("F_SETPIPE_SZ: %v", err)
	}
}
