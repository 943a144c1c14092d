//go:build linux

package fs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/loop"
)

// openFIFO makes a named pipe and opens it read-write through fs (which
// does not block), and for writing through os: a read of it stays in
// flight until the test writes.
func openFIFO(t *testing.T, ctx context.Context) (*fs.File, *os.File) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := fs.OpenFile(ctx, name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return f, w
}

// waitLive parks until f has n operations in flight.
func waitLive(t *testing.T, ctx context.Context, f *fs.File, n int) {
	t.Helper()
	for i := 0; f.Live() != n; i++ {
		if i == 1000 {
			t.Fatalf("%d operations in flight, want %d", f.Live(), n)
		}
		fiber.Sleep(ctx, time.Millisecond)
	}
}

// TestCancel_MidFlight cancels a read in flight. With io_uring the read
// is cancelled in the kernel and returns context.Canceled; the buffer is
// never written afterwards, and the data goes to the next read. On the
// pool a running read cannot be stopped: it returns its data when it
// completes, and nothing is lost.
func TestCancel_MidFlight(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		b, _ := fs.BackendOf(fiber.Loop(ctx))
		f, w := openFIFO(t, ctx)
		defer f.Close()
		cctx, cancel := context.WithCancel(ctx)
		buf := make([]byte, 16)
		var n int
		// Started under cctx, awaited under ctx.
		reader := fiber.Go(cctx, func(context.Context) (struct{}, error) {
			var err error
			n, err = f.Read(buf)
			return struct{}{}, err
		})
		wait := func() error { _, err := fiber.Await(ctx, reader); return err }
		waitLive(t, ctx, f, 1)
		cancel()
		if b == fs.Pool {
			fiber.Sleep(ctx, 10*time.Millisecond)
			w.Write([]byte("hello"))
			if err := wait(); err != nil || n != 5 || string(buf[:5]) != "hello" {
				t.Fatalf("pool: cancelled Read = %d, %v, %q; want the data", n, err, buf[:n])
			}
			return
		}
		if err := wait(); !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("cancelled Read = %d, %v; want context.Canceled", n, err)
		}
		if f.Live() != 0 {
			t.Fatalf("%d operations in flight after the cancelled Read returned", f.Live())
		}
		w.Write([]byte("hello"))
		got := make([]byte, 16)
		if m, err := f.Read(got); err != nil || string(got[:m]) != "hello" {
			t.Fatalf("Read after the cancel = %q, %v", got[:m], err)
		}
		if !bytes.Equal(buf, make([]byte, 16)) {
			t.Fatalf("the cancelled Read's buffer was written: %q", buf)
		}
	})
}

// TestClose_InFlight closes a file with a read in flight: the read fails
// with os.ErrClosed (io_uring) or completes (pool), Close waits for it and
// then closes the descriptor.
func TestClose_InFlight(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		b, _ := fs.BackendOf(fiber.Loop(ctx))
		f, w := openFIFO(t, ctx)
		var (
			n   int
			err error
		)
		wait := spawn(ctx, func(context.Context) error {
			n, err = f.Read(make([]byte, 16))
			return nil
		})
		waitLive(t, ctx, f, 1)
		if b == fs.Pool {
			time.AfterFunc(20*time.Millisecond, func() { w.Write([]byte("late")) })
		}
		if cerr := f.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if f.Live() != 0 {
			t.Fatal("Close returned before the read in flight completed")
		}
		wait()
		switch b {
		case fs.Pool:
			if n != 4 || err != nil {
				t.Fatalf("pool: Read during Close = %d, %v; want 4, nil", n, err)
			}
		default:
			if !errors.Is(err, os.ErrClosed) {
				t.Fatalf("Read during Close = %d, %v; want os.ErrClosed", n, err)
			}
		}
		if f.Fd() != -1 {
			t.Fatal("descriptor still open after Close")
		}
		if _, err := f.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	})
}

// fifoOnRingLoop makes a named pipe and a loop (not running) whose file
// I/O goes through io_uring, and checks fds at the end of the test.
func fifoOnRingLoop(t *testing.T) (string, *loop.Loop) {
	t.Helper()
	fdtest.Check(t)
	name := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Configure(l, fs.WithBackend(fs.IOUring)); err != nil {
		t.Fatal(err)
	}
	return name, l
}

// TestLoopClose_InFlight closes a loop (no fibers: the future face) with a
// read in flight on a pipe nobody writes: the loop's close cancels it and
// waits for the kernel, and no fd or goroutine is left.
func TestLoopClose_InFlight(t *testing.T) {
	if fs.RingAvailable() != nil {
		t.Log("io_uring is unavailable: the pool's close is tested by TestLoopClose_FilesClosed")
		return
	}
	name, l := fifoOnRingLoop(t)
	started := make(chan struct{})
	l.Post(func() {
		future.Then(fs.OpenAsync(context.Background(), l, name, os.O_RDWR, 0), func(f *fs.File) (struct{}, error) {
			f.ReadAtAsync(context.Background(), make([]byte, 8), 0)
			close(started)
			return struct{}{}, nil
		})
	})
	go l.Run()
	<-started
	time.Sleep(10 * time.Millisecond)
	l.Stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestClose_FromTaskInFlight closes a file from a plain loop task (no
// fiber to park) while a read is in flight on it: Close returns at once,
// the read fails with os.ErrClosed once the kernel gives it back, and the
// descriptor is closed then.
func TestClose_FromTaskInFlight(t *testing.T) {
	if fs.RingAvailable() != nil {
		t.Log("io_uring is unavailable: a pool read of a pipe cannot be cancelled")
		return
	}
	name, l := fifoOnRingLoop(t)
	type outcome struct {
		closeErr, readErr error
		fdAfter           int
	}
	got := make(chan outcome, 1)
	l.Post(func() {
		future.Then(fs.OpenAsync(context.Background(), l, name, os.O_RDWR, 0), func(f *fs.File) (struct{}, error) {
			read := f.ReadAtAsync(context.Background(), make([]byte, 8), 0)
			l.AfterFunc(10*time.Millisecond, func() {
				cerr := f.Close()
				read.OnSettled(func(_ int, rerr error) {
					// The read's completion closed the descriptor.
					got <- outcome{cerr, rerr, f.Fd()}
					l.Stop()
				})
			})
			return struct{}{}, nil
		})
	})
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	o := <-got
	if o.closeErr != nil || !errors.Is(o.readErr, os.ErrClosed) || o.fdAfter != -1 {
		t.Fatalf("Close = %v, read = %v, Fd after = %d; want nil, os.ErrClosed, -1", o.closeErr, o.readErr, o.fdAfter)
	}
}
