//go:build linux

package fs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/weftio/weft/fs"
)

// TestReadWrite_Integrity writes random chunks at random offsets from 16
// fibers at once (disjoint ranges, written in random order), and checks
// the file against what os reads; then reads random ranges from 16 fibers
// and checks them against os.File.ReadAt.
func TestReadWrite_Integrity(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		const size = 4 << 20
		want := make([]byte, size)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		name := filepath.Join(t.TempDir(), "data")
		f, err := fs.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		// Chunks of random sizes covering the file, written in a random
		// order by 16 fibers.
		type chunk struct{ off, n int }
		var chunks []chunk
		for off := 0; off < size; {
			n := min(1+rng.IntN(200<<10), size-off)
			chunks = append(chunks, chunk{off, n})
			off += n
		}
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		var waits []func() error
		for w := 0; w < 16; w++ {
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				for i := w; i < len(chunks); i += 16 {
					c := chunks[i]
					n, err := f.WriteAt(want[c.off:c.off+c.n], int64(c.off))
					if err != nil || n != c.n {
						return errors.Join(err, errors.New("short write"))
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
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("file differs from what was written (err %v, %d bytes)", err, len(got))
		}
		osf, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer osf.Close()
		waits = waits[:0]
		for w := 0; w < 16; w++ {
			seed := uint64(w)
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				rng := rand.New(rand.NewPCG(seed, 7))
				for i := 0; i < 50; i++ {
					off := rng.Int64N(size)
					n := 1 + rng.IntN(300<<10)
					a, b := make([]byte, n), make([]byte, n)
					na, erra := f.ReadAt(a, off)
					nb, errb := osf.ReadAt(b, off)
					if na != nb || (erra == nil) != (errb == nil) || !bytes.Equal(a[:na], b[:nb]) {
						return errors.New("ReadAt differs from os.File.ReadAt")
					}
					if erra != nil && erra != io.EOF {
						return erra
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
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRead_EOFAndCursor checks short reads and EOF as os.File has them,
// and Read, Write and Seek sharing the file offset.
func TestRead_EOFAndCursor(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		name := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(name, []byte("hello, world"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := fs.OpenFile(ctx, name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 8)
		if n, err := f.ReadAt(buf, 7); n != 5 || err != io.EOF || string(buf[:n]) != "world" {
			t.Fatalf("ReadAt past the end = %d, %v, %q; want 5, EOF, world", n, err, buf[:n])
		}
		if n, err := f.ReadAt(buf, 100); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt beyond the end = %d, %v", n, err)
		}
		if n, err := f.Read(buf); n != 8 || err != nil || string(buf) != "hello, w" {
			t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
		}
		if n, err := f.Read(buf); n != 4 || err != nil || string(buf[:n]) != "orld" {
			t.Fatalf("second Read = %d, %v, %q", n, err, buf[:n])
		}
		if n, err := f.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("Read at the end = %d, %v", n, err)
		}
		if pos, err := f.Seek(-5, io.SeekEnd); pos != 7 || err != nil {
			t.Fatalf("Seek(-5, End) = %d, %v", pos, err)
		}
		if _, err := f.Write([]byte("WORLD!")); err != nil {
			t.Fatal(err)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != 13 {
			t.Fatalf("offset after Write = %d, want 13", pos)
		}
		if _, err := f.Seek(-1, io.SeekStart); err == nil {
			t.Fatal("Seek to a negative offset succeeded")
		}
		got, _ := os.ReadFile(name)
		if string(got) != "hello, WORLD!" {
			t.Fatalf("file = %q", got)
		}
		all, err := io.ReadAll(io.NewSectionReader(f, 0, 100))
		if err != nil || string(all) != "hello, WORLD!" {
			t.Fatalf("io.ReadAll over a SectionReader = %q, %v", all, err)
		}
		fi, err := f.Stat()
		if err != nil || fi.Size() != 13 || fi.Name() != "f" || fi.IsDir() || fi.Mode().Perm() != 0o644 {
			t.Fatalf("Stat = %v, %v", fi, err)
		}
		if _, ok := fi.Sys().(*syscall.Stat_t); !ok {
			t.Fatalf("Sys() is %T, want *syscall.Stat_t", fi.Sys())
		}
	})
}

// TestAppend: O_APPEND writes go to the end and WriteAt is refused.
func TestAppend(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		name := filepath.Join(t.TempDir(), "log")
		os.WriteFile(name, []byte("a"), 0o644)
		f, err := fs.OpenFile(ctx, name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, s := range []string{"b", "cd"} {
			if _, err := f.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.WriteAt([]byte("x"), 0); err == nil {
			t.Fatal("WriteAt on an O_APPEND file succeeded")
		}
		if got, _ := os.ReadFile(name); string(got) != "abcd" {
			t.Fatalf("file = %q, want abcd", got)
		}
	})
}

// TestErrors checks that errors are *fs.PathError values that errors.Is
// matches, as os returns them.
func TestErrors(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		dir := t.TempDir()
		_, err := fs.Open(ctx, filepath.Join(dir, "missing"))
		var pe *iofs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, iofs.ErrNotExist) || pe.Op != "open" {
			t.Fatalf("Open of a missing file: %#v", err)
		}
		if _, err := fs.OpenFile(ctx, dir, os.O_WRONLY, 0); !errors.Is(err, syscall.EISDIR) {
			t.Fatalf("opening a directory for writing: %v, want EISDIR", err)
		}
		if _, err := fs.Stat(ctx, filepath.Join(dir, "missing")); !errors.Is(err, iofs.ErrNotExist) {
			t.Fatalf("Stat of a missing file: %v", err)
		}
		if _, err := fs.Open(ctx, "bad\x00name"); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("a name with a NUL byte: %v", err)
		}
		name := filepath.Join(dir, "f")
		os.WriteFile(name, []byte("x"), 0o644)
		f, err := fs.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("y"), 0); !errors.Is(err, syscall.EBADF) {
			t.Fatalf("writing a read-only file: %v, want EBADF", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("ReadAt after Close: %v", err)
		}
		// From a goroutine that is not a fiber of the loop.
		g, err := fs.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		done := make(chan error)
		go func() { _, err := g.Read(make([]byte, 1)); done <- err }()
		if err := <-done; !errors.Is(err, fs.ErrNotFiber) {
			t.Fatalf("Read from a goroutine: %v, want ErrNotFiber", err)
		}
	})
}

// TestODirect reads and writes with O_DIRECT through aligned buffers, and
// gets a clear *AlignmentError, matching EINVAL, for unaligned ones.
func TestODirect(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		name := filepath.Join(t.TempDir(), "direct")
		f, err := fs.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|fs.O_DIRECT, 0o644)
		if err != nil {
			t.Fatalf("O_DIRECT open (the test directory's file system must support it): %v", err)
		}
		defer f.Close()
		w := fs.AlignedBuffer(64 << 10)
		for i := range w {
			w[i] = byte(i * 7)
		}
		if n, err := f.WriteAt(w, 4096); n != len(w) || err != nil {
			t.Fatalf("aligned WriteAt = %d, %v", n, err)
		}
		r := fs.AlignedBuffer(64 << 10)
		if n, err := f.ReadAt(r, 4096); n != len(r) || err != nil || !bytes.Equal(r, w) {
			t.Fatalf("aligned ReadAt = %d, %v (equal %v)", n, err, bytes.Equal(r, w))
		}
		var ae *fs.AlignmentError
		for _, c := range []struct {
			name string
			buf  []byte
			off  int64
		}{
			{"address", fs.AlignedBuffer(8192)[1:4097], 0},
			{"offset", fs.AlignedBuffer(4096), 100},
			{"length", fs.AlignedBuffer(4096)[:1000], 0},
		} {
			_, err := f.ReadAt(c.buf, c.off)
			if !errors.As(err, &ae) || !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("unaligned %s: %v, want an *AlignmentError matching EINVAL", c.name, err)
			}
		}
		t.Logf("the error reads: %v", ae)
	})
}
