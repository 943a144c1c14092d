//go:build linux

package fs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/internal/fdtest"
)

// TestCancel_Stress cancels O_DIRECT reads (about 100 µs each on a disk,
// so a cancel often lands in flight) at random moments, from 16 fibers at
// once, and checks the promise that matters: a read that returns with the
// context's error never has its buffer written afterwards, and a read that
// returns data returns the right data. Each buffer that came back with an
// error is filled with a sentinel at once and checked at the end, after
// every operation has completed.
func TestCancel_Stress(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		const blocks = 2048 // 8 MiB of 4 KiB blocks, each starting with its index
		name := filepath.Join(t.TempDir(), "blocks")
		data := make([]byte, blocks*4096)
		for i := 0; i < blocks; i++ {
			copy(data[i*4096:], fmt.Sprintf("block %08d", i))
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := fs.OpenFile(ctx, name, os.O_RDONLY|fs.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l := fiber.Loop(ctx)
		type spoiled struct{ buf []byte }
		var kept []spoiled
		cancelled, completed := 0, 0
		var waits []func() error
		for w := 0; w < 16; w++ {
			seed := uint64(w)
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				rng := rand.New(rand.NewPCG(seed, 99))
				for i := 0; i < 60; i++ {
					blk := rng.IntN(blocks)
					buf := fs.AlignedBuffer(4096)
					cctx, cancel := context.WithCancel(ctx)
					delay := time.Duration(rng.IntN(150)) * time.Microsecond
					l.AfterFunc(delay, cancel)
					var n int
					reader := fiber.Go(cctx, func(context.Context) (struct{}, error) {
						var err error
						n, err = f.ReadAt(buf, int64(blk)*4096)
						return struct{}{}, err
					})
					_, err := fiber.Await(ctx, reader)
					cancel()
					switch {
					case err == nil:
						completed++
						if n != 4096 || !bytes.Equal(buf, data[blk*4096:(blk+1)*4096]) {
							return fmt.Errorf("block %d: read %d bytes, wrong data %q", blk, n, buf[:16])
						}
					case errors.Is(err, context.Canceled):
						cancelled++
						for j := range buf {
							buf[j] = 0xAA
						}
						kept = append(kept, spoiled{buf})
					default:
						return err
					}
				}
				return nil
			}))
		}
		for _, w := range waits {
			if err := w(); err != nil {
				t.Fatal(err)
			}
		}
		// Give any late write from the kernel time to land, then look.
		fiber.Sleep(ctx, 50*time.Millisecond)
		for i, k := range kept {
			for j, c := range k.buf {
				if c != 0xAA {
					t.Fatalf("cancelled read %d: its buffer was written after the read returned (byte %d is %#x)", i, j, c)
				}
			}
		}
		t.Logf("%d reads completed, %d cancelled", completed, cancelled)
		if f.Live() != 0 {
			t.Fatalf("%d operations still in flight", f.Live())
		}
	})
}

// TestClose_ManyInFlight closes a file while 32 fibers have O_DIRECT reads
// in flight on it: every read ends (with its data or os.ErrClosed), Close
// returns after them, and nothing is left in flight.
func TestClose_ManyInFlight(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		name := filepath.Join(t.TempDir(), "blocks")
		if err := os.WriteFile(name, make([]byte, 4<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := fs.OpenFile(ctx, name, os.O_RDONLY|fs.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		var waits []func() error
		for w := 0; w < 32; w++ {
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				buf := fs.AlignedBuffer(4096)
				for i := 0; ; i++ {
					_, err := f.ReadAt(buf, int64((w*37+i)%1024)*4096)
					if errors.Is(err, os.ErrClosed) {
						return nil
					}
					if err != nil {
						return err
					}
				}
			}))
		}
		fiber.Sleep(ctx, 5*time.Millisecond)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if f.Live() != 0 {
			t.Fatalf("Close returned with %d operations in flight", f.Live())
		}
		for _, w := range waits {
			if err := w(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestRing_SubmitRefused: while the kernel refuses submissions (ENOMEM
// here), reads queue up to the ring's size; beyond it they fail with the
// errno instead of spinning, and once submissions are accepted again the
// queued ones complete with the right data. No read hangs.
func TestRing_SubmitRefused(t *testing.T) {
	if fs.RingAvailable() != nil {
		t.Log("io_uring is unavailable here: nothing to refuse")
		return
	}
	fdtest.Check(t)
	body := func(ctx context.Context) error {
		name := filepath.Join(t.TempDir(), "blocks")
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte(i / 4096)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
		f, err := fs.OpenFile(ctx, name, os.O_RDONLY|fs.O_DIRECT, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		restore := fs.FailSubmits(400, syscall.ENOMEM)
		defer restore()
		refused, read := 0, 0
		var waits []func() error
		for w := 0; w < 300; w++ {
			waits = append(waits, spawn(ctx, func(context.Context) error {
				buf := fs.AlignedBuffer(4096)
				_, err := f.ReadAt(buf, int64(w%256)*4096)
				switch {
				case errors.Is(err, syscall.ENOMEM):
					refused++
				case err != nil:
					return err
				case buf[0] != byte(w%256):
					return fmt.Errorf("read %d: block %d, want %d", w, buf[0], w%256)
				default:
					read++
				}
				return nil
			}))
		}
		// Let the refusals run out (each submission attempt counts one).
		fiber.Sleep(ctx, 20*time.Millisecond)
		restore()
		for _, wt := range waits {
			if err := wt(); err != nil {
				return err
			}
		}
		t.Logf("%d reads refused with ENOMEM, %d read", refused, read)
		if refused == 0 || read == 0 {
			return fmt.Errorf("%d refused and %d read: want some of each", refused, read)
		}
		return nil
	}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		if err := fs.Configure(fiber.Loop(ctx), fs.WithBackend(fs.IOUring)); err != nil {
			return err
		}
		return body(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}
