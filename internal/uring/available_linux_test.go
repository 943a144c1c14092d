package uring

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAvailable_disabled points Available at a kernel.io_uring_disabled
// of 2, then back.
func TestAvailable_disabled(t *testing.T) {
	saved := disabledSysctl
	fake := filepath.Join(t.TempDir(), "io_uring_disabled")
	if err := os.WriteFile(fake, []byte("2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	disabledSysctl = fake
	t.Cleanup(func() {
		disabledSysctl = saved
		Reprobe()
	})

	err := Reprobe()
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Reprobe() with io_uring_disabled 2 = %v, want errors.ErrUnsupported", err)
	}
	if again := Available(); again != err {
		t.Fatalf("Available() = %v after Reprobe() = %v: not cached", again, err)
	}
	t.Log(err)

	disabledSysctl = saved
	if err := Reprobe(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Reprobe() = %v", err)
	}
}

// TestUnsupportedError checks that New's error for a refused
// io_uring_setup matches both errors.ErrUnsupported and its cause.
func TestUnsupportedError(t *testing.T) {
	var err error = &unsupportedError{os.NewSyscallError("io_uring_setup", unix.EPERM)}
	var sys *os.SyscallError
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, unix.EPERM) || !errors.As(err, &sys) {
		t.Fatalf("%v: errors.Is ErrUnsupported %v, EPERM %v, errors.As *os.SyscallError %v", err,
			errors.Is(err, errors.ErrUnsupported), errors.Is(err, unix.EPERM), errors.As(err, &sys))
	}
	if want := "uring: io_uring unavailable: io_uring_setup: operation not permitted"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err, want)
	}
}
