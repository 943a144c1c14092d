package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/loop"
)

// tourFiles writes c.files files of 256 KiB through package fs from as
// many fibers, on a loop of its own, reads each back with ReadAt at
// random offsets from other fibers, checks every byte, and removes them.
func tourFiles(w io.Writer, _ *loop.Loop, c config) error {
	if c.files == 0 {
		fmt.Fprintln(w, "files: none asked for")
		return nil
	}
	dir, err := os.MkdirTemp("", "weft-tour")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	const size = 256 << 10
	content := func(i int) []byte {
		b := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), byte(c.seed)}).Read(b)
		return b
	}
	var backend fs.Backend
	reads := 0
	start := time.Now()
	err = fiber.Run(context.Background(), func(ctx context.Context) error {
		var err error
		if backend, err = fs.BackendOf(fiber.Loop(ctx)); err != nil {
			return err
		}
		g, gctx := fiber.NewGroup(ctx)
		for i := range c.files {
			g.Go(func(ctx context.Context) error {
				return fs.WriteFile(ctx, filepath.Join(dir, fmt.Sprint(i)), content(i), 0o644)
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		g, _ = fiber.NewGroup(gctx)
		for i := range c.files {
			g.Go(func(ctx context.Context) error {
				f, err := fs.Open(ctx, filepath.Join(dir, fmt.Sprint(i)))
				if err != nil {
					return err
				}
				defer f.Close()
				want := content(i)
				rng := rand.New(rand.NewPCG(c.seed, uint64(i)))
				buf := make([]byte, 16<<10)
				for range 8 {
					off := rng.IntN(size - len(buf))
					if _, err := f.ReadAt(buf, int64(off)); err != nil {
						return err
					}
					if !bytes.Equal(buf, want[off:off+len(buf)]) {
						return fmt.Errorf("file %d: bytes at %d differ from what was written", i, off)
					}
					reads++
				}
				return nil
			})
		}
		return g.Wait()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "files: %d files of 256 KiB written atomically (fsync, rename) by as many fibers and %d ReadAts checked, on one loop through %v (%v)\n",
		c.files, reads, backend, time.Since(start).Round(time.Millisecond))
	return nil
}
