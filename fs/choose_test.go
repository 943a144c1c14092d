//go:build linux

package fs_test

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
)

// childEnv makes the test binary run one of the children below instead of
// the tests.
const childEnv = "WEFT_FS_TEST_CHILD"

// backendOf runs a fiber program and returns the back-end its loop gets.
func backendOf(opts ...fs.Option) (fs.Backend, error) {
	var (
		b   fs.Backend
		err error
	)
	rerr := fiber.Run(context.Background(), func(ctx context.Context) error {
		if len(opts) > 0 {
			if err = fs.Configure(fiber.Loop(ctx), opts...); err != nil {
				return nil
			}
		}
		b, err = fs.BackendOf(fiber.Loop(ctx))
		return nil
	})
	return b, errors.Join(err, rerr)
}

// TestChoose_Env: WEFT_IO_URING=0 forces the pool, =1 requires io_uring
// and fails clearly without it, anything else is refused, and an option
// beats the variable.
func TestChoose_Env(t *testing.T) {
	t.Setenv(fs.EnvIOUring, "0")
	if b, err := backendOf(); b != fs.Pool || err != nil {
		t.Fatalf("WEFT_IO_URING=0: %v, %v; want pool", b, err)
	}
	t.Setenv(fs.EnvIOUring, "yes")
	if _, err := backendOf(); err == nil || !strings.Contains(err.Error(), fs.EnvIOUring) {
		t.Fatalf("WEFT_IO_URING=yes: %v; want an error naming the variable", err)
	}
	t.Setenv(fs.EnvIOUring, "1")
	if fs.RingAvailable() == nil {
		if b, err := backendOf(); b != fs.IOUring || err != nil {
			t.Fatalf("WEFT_IO_URING=1: %v, %v; want io_uring", b, err)
		}
		if b, err := backendOf(fs.WithBackend(fs.Pool)); b != fs.Pool || err != nil {
			t.Fatalf("WithBackend(Pool) under WEFT_IO_URING=1: %v, %v; want pool", b, err)
		}
	}
	restore := fs.SetRingAvailable(func() error { return fmt.Errorf("no ring here: %w", errors.ErrUnsupported) })
	defer restore()
	_, err := backendOf()
	if err == nil || !strings.Contains(err.Error(), "io_uring required") || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("WEFT_IO_URING=1 without io_uring: %v; want a clear error", err)
	}
	t.Setenv(fs.EnvIOUring, "")
	if b, err := backendOf(); b != fs.Pool || err != nil {
		t.Fatalf("auto without io_uring: %v, %v; want pool", b, err)
	}
	if _, err := backendOf(fs.WithBackend(fs.IOUring)); err == nil {
		t.Fatal("WithBackend(IOUring) without io_uring succeeded")
	}
}

// TestChoose_Seccomp runs a child whose io_uring_setup a seccomp filter
// refuses with EPERM, as container runtimes do: fs must fall back to the
// pool and still work, and WEFT_IO_URING=1 must fail clearly.
func TestChoose_Seccomp(t *testing.T) {
	out, err := child(t, "seccomp", nil)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(out, "auto=pool") || !strings.Contains(out, "required: fs: io_uring required") {
		t.Fatalf("child said:\n%s", out)
	}
}

// TestErrors_EACCES opens a file the caller may not read: a child running
// as nobody when the tests run as root (root reads everything).
func TestErrors_EACCES(t *testing.T) {
	// A directory everyone may enter (t.TempDir's parents are private),
	// so that the EACCES comes from the file's own mode.
	dir, err := os.MkdirTemp("", "weft-fs-eacces")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "secret")
	if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		os.Chmod(name, 0)
		if err := openErr(name); !errors.Is(err, iofs.ErrPermission) {
			t.Fatalf("open of an unreadable file: %v, want EACCES", err)
		}
		return
	}
	// The child must be able to run the test binary, kept in a private
	// directory by go test: run a copy.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	copyExe := filepath.Join(dir, "fs.test")
	if err := os.WriteFile(copyExe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := childOf(t, copyExe, "eacces", &syscall.Credential{Uid: 65534, Gid: 65534}, "WEFT_FS_NAME="+name)
	if err != nil || !strings.Contains(out, "EACCES ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func openErr(name string) error {
	var err error
	rerr := fiber.Run(context.Background(), func(ctx context.Context) error {
		var f *fs.File
		f, err = fs.Open(ctx, name)
		if err == nil {
			f.Close()
		}
		return nil
	})
	return errors.Join(err, rerr)
}

// child runs the test binary as the named child and returns its output.
func child(t *testing.T, which string, cred *syscall.Credential, env ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return childOf(t, exe, which, cred, env...)
}

func childOf(t *testing.T, exe, which string, cred *syscall.Credential, env ...string) (string, error) {
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+which, fs.EnvIOUring+"=")...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runChild is the child's main.
func runChild() int {
	switch os.Getenv(childEnv) {
	case "seccomp":
		if err := denyIOUring(); err != nil {
			fmt.Println("seccomp:", err)
			return 2
		}
		b, err := backendOf()
		fmt.Printf("auto=%v err=%v\n", b, err)
		if err := readBack(); err != nil {
			fmt.Println("pool I/O:", err)
			return 1
		}
		_, err = backendOf(fs.WithBackend(fs.IOUring))
		fmt.Printf("required: %v\n", err)
		return 0
	case "eacces":
		err := openErr(os.Getenv("WEFT_FS_NAME"))
		if errors.Is(err, iofs.ErrPermission) && errors.Is(err, syscall.EACCES) {
			fmt.Println("EACCES ok")
			return 0
		}
		fmt.Println("open:", err)
		return 1
	}
	return 3
}

// readBack writes and reads a file, in the child without io_uring.
func readBack() error {
	dir, err := os.MkdirTemp("", "weft-fs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return fiber.Run(context.Background(), func(ctx context.Context) error {
		name := filepath.Join(dir, "f")
		if err := fs.WriteFile(ctx, name, []byte("pool"), 0o644); err != nil {
			return err
		}
		got, err := fs.ReadFile(ctx, name)
		if err != nil || string(got) != "pool" {
			return fmt.Errorf("read back %q, %v", got, err)
		}
		return nil
	})
}

// denyIOUring installs a seccomp filter, on every thread, that fails
// io_uring_setup with EPERM.
func denyIOUring() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_IO_URING_SETUP, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return e
	}
	return nil
}
