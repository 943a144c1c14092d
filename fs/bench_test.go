//go:build linux

package fs_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
)

// benchFile makes a 64 MiB file of random bytes, in the page cache.
func benchFile(b *testing.B) string {
	b.Helper()
	name := filepath.Join(b.TempDir(), "bench")
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return name
}

// withFile runs fn as the main fiber of a loop on back-end be, with name
// open there, once per back-end as sub-benchmarks "impl=weft-<back-end>".
func withFile(b *testing.B, name string, fn func(b *testing.B, ctx context.Context, f *fs.File) error) {
	for _, be := range []fs.Backend{fs.IOUring, fs.Pool} {
		b.Run("impl=weft-"+be.String(), func(b *testing.B) {
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				if err := fs.Configure(fiber.Loop(ctx), fs.WithBackend(be)); err != nil {
					return err
				}
				f, err := fs.Open(ctx, name)
				if err != nil {
					return err
				}
				defer f.Close()
				return fn(b, ctx, f)
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkReadAt_Warm4K: 4 KiB reads at random aligned offsets of a file
// in the page cache, one at a time: the fast path (preadv2 RWF_NOWAIT on
// the loop) against os.File.ReadAt. Target: within 10 %.
func BenchmarkReadAt_Warm4K(b *testing.B) {
	name := benchFile(b)
	offs := make([]int64, 1<<16)
	for i := range offs {
		offs[i] = rand.Int64N(64<<20/4096) * 4096
	}
	withFile(b, name, func(b *testing.B, _ context.Context, f *fs.File) error {
		buf := make([]byte, 4096)
		b.SetBytes(4096)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := f.ReadAt(buf, offs[i&(len(offs)-1)]); err != nil {
				return err
			}
		}
		return nil
	})
	b.Run("impl=os", func(b *testing.B) {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 4096)
		b.SetBytes(4096)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := f.ReadAt(buf, offs[i&(len(offs)-1)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStat_RoundTrip: File.Stat, an operation with no fast path, one
// at a time: the cost of one trip through the back-end (submission,
// completion, park and resume) against os.File.Stat's system call.
func BenchmarkStat_RoundTrip(b *testing.B) {
	name := benchFile(b)
	withFile(b, name, func(b *testing.B, _ context.Context, f *fs.File) error {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := f.Stat(); err != nil {
				return err
			}
		}
		return nil
	})
	b.Run("impl=os", func(b *testing.B) {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		for i := 0; i < b.N; i++ {
			if _, err := f.Stat(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStat_Depth32: the same with 32 fibers at once: submissions
// batched once per loop turn.
func BenchmarkStat_Depth32(b *testing.B) {
	name := benchFile(b)
	withFile(b, name, func(b *testing.B, ctx context.Context, f *fs.File) error {
		g, _ := fiber.NewGroup(ctx)
		b.ResetTimer()
		for w := 0; w < 32; w++ {
			g.Go(func(ctx context.Context) error {
				for i := w; i < b.N; i += 32 {
					if _, err := f.Stat(); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return g.Wait()
	})
}
