//go:build !weft_nodebug

package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/simtest"
)

// benchMain is a small program of the size simulation tests run: fibers
// fibers, each yielding steps times, then sleeping a millisecond.
func benchMain(fibers, steps int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		for range fibers {
			g.Go(func(ctx context.Context) error {
				for range steps {
					if err := fiber.Yield(ctx); err != nil {
						return err
					}
				}
				return fiber.Sleep(ctx, time.Millisecond)
			})
		}
		return g.Wait()
	}
}

// BenchmarkRun is one run of a simulation, loop made and closed included,
// beside the same program on a plain loop on virtual time: what a seed of
// Seeds costs, and what the seeded choices add.
func BenchmarkRun(b *testing.B) {
	for _, size := range []struct {
		name          string
		fibers, steps int
	}{{"fibers=1", 1, 0}, {"fibers=8x8", 8, 8}, {"fibers=64x8", 64, 8}} {
		main := benchMain(size.fibers, size.steps)
		b.Run(size.name+"/impl=simulated", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := simtest.Run(uint64(i), main); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(size.name+"/impl=plain", func(b *testing.B) {
			for b.Loop() {
				if err := fiber.Run(context.Background(), main, loop.WithVirtualTime(time.Time{})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
