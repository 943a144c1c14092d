//go:build linux

package fs_test

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
)

// TestPaths exercises the path functions against what os sees.
func TestPaths(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		dir := t.TempDir()
		sub := filepath.Join(dir, "sub")
		if err := fs.Mkdir(ctx, sub, 0o750); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
			t.Fatalf("Mkdir made %v, %v", fi, err)
		}
		if err := fs.Mkdir(ctx, sub, 0o750); !errors.Is(err, iofs.ErrExist) {
			t.Fatalf("second Mkdir: %v, want ErrExist", err)
		}
		a := filepath.Join(sub, "a")
		if err := fs.WriteFile(ctx, a, []byte("first"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile(ctx, a, []byte("second, longer"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(ctx, a)
		if err != nil || string(got) != "second, longer" {
			t.Fatalf("ReadFile = %q, %v", got, err)
		}
		ents, _ := os.ReadDir(sub)
		if len(ents) != 1 {
			t.Fatalf("WriteFile left %d entries in the directory, want 1 (no temporary file)", len(ents))
		}
		fi, err := fs.Stat(ctx, a)
		if err != nil || fi.Size() != 14 || fi.Mode().Perm() != 0o600 || fi.Name() != "a" {
			t.Fatalf("Stat = %v, %v", fi, err)
		}
		b := filepath.Join(dir, "b")
		if err := fs.Rename(ctx, a, b); err != nil {
			t.Fatal(err)
		}
		var le *os.LinkError
		if err := fs.Rename(ctx, a, b); !errors.As(err, &le) || !errors.Is(err, iofs.ErrNotExist) {
			t.Fatalf("Rename of a missing file: %v", err)
		}
		if err := os.Symlink(b, filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		if fi, err := fs.Lstat(ctx, filepath.Join(dir, "link")); err != nil || fi.Mode()&iofs.ModeSymlink == 0 {
			t.Fatalf("Lstat of a link = %v, %v", fi, err)
		}
		ents2, err := fs.ReadDir(ctx, dir)
		if err != nil || len(ents2) != 3 || ents2[0].Name() != "b" || ents2[1].Name() != "link" || !ents2[2].IsDir() {
			t.Fatalf("ReadDir = %v, %v", ents2, err)
		}
		if err := fs.Remove(ctx, sub); err != nil {
			t.Fatalf("Remove of an empty directory: %v", err)
		}
		if err := fs.Remove(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remove(ctx, b); !errors.Is(err, iofs.ErrNotExist) {
			t.Fatalf("second Remove: %v", err)
		}
		if _, err := fs.ReadFile(ctx, b); !errors.Is(err, iofs.ErrNotExist) {
			t.Fatalf("ReadFile of a removed file: %v", err)
		}
		// A large file: ReadFile sizes its buffer from Stat.
		big := make([]byte, 3<<20+17)
		for i := range big {
			big[i] = byte(i % 251)
		}
		os.WriteFile(b, big, 0o644)
		if got, err := fs.ReadFile(ctx, b); err != nil || len(got) != len(big) || got[len(got)-1] != big[len(big)-1] {
			t.Fatalf("ReadFile of 3 MiB = %d bytes, %v", len(got), err)
		}
	})
}

// TestManyFiles opens and closes 10,000 files, 100 fibers at a time, and
// leaves no fd behind (each checks the count).
func TestManyFiles(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		dir := t.TempDir()
		const n = 10000
		var waits []func() error
		for w := 0; w < 100; w++ {
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				for i := w; i < n; i += 100 {
					name := filepath.Join(dir, "f"+itoa(i))
					f, err := fs.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE, 0o644)
					if err != nil {
						return err
					}
					if _, err := f.WriteAt([]byte(itoa(i)), 0); err != nil {
						return err
					}
					if err := f.Close(); err != nil {
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
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != n {
			t.Fatalf("%d files, %v", len(ents), err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "f9999")); string(got) != "9999" {
			t.Fatalf("f9999 holds %q", got)
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for ; i > 0; i /= 10 {
		p--
		b[p] = byte('0' + i%10)
	}
	return string(b[p:])
}

// TestLoopClose_FilesClosed: files left open are closed with their loop.
func TestLoopClose_FilesClosed(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		// each checks the fds after this loop (the subtest's) has closed;
		// this body leaves ten files open on purpose.
		dir := t.TempDir()
		for i := 0; i < 10; i++ {
			if _, err := fs.Create(ctx, filepath.Join(dir, itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestDeadlock_StillReported: a loop that has done file I/O (its ring's
// eventfd is registered) still reports a deadlock.
func TestDeadlock_StillReported(t *testing.T) {
	for _, b := range backends(t) {
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			fs.Configure(fiber.Loop(ctx), fs.WithBackend(b))
			if _, err := fs.Stat(ctx, "."); err != nil {
				return err
			}
			return fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
		})
		var de *fiber.DeadlockError
		if !errors.As(err, &de) {
			t.Fatalf("%v: Run = %v, want a *DeadlockError", b, err)
		}
	}
}
