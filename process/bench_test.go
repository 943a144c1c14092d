//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"context"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/process"
)

// BenchmarkCmd_Run starts true and waits for it. impl=fiber is Start in
// a fiber (the fork on the offload pool, the fiber parked); impl=loop is
// StartOn, the fork on the loop's thread, whose held-ns/op is how long
// the loop is held by it (until the child has called exec); impl=os-exec
// is the baseline, os/exec on a goroutine.
func BenchmarkCmd_Run(b *testing.B) {
	for _, impl := range []string{"fiber", "loop"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var held time.Duration
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				l := fiber.Loop(ctx)
				for b.Loop() {
					c := process.Command("true")
					t0 := time.Now()
					var err error
					if impl == "fiber" {
						err = c.Start(ctx)
					} else {
						err = c.StartOn(ctx, l)
					}
					held += time.Since(t0)
					if err != nil {
						return err
					}
					if err := c.Wait(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if impl == "loop" {
				b.ReportMetric(float64(held.Nanoseconds())/float64(b.N), "held-ns/op")
			}
		})
	}
	b.Run("impl=os-exec", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPipe_Read reads 8 MiB of a child's output through StdoutPipe
// in a fiber, beside os/exec's pipe (an *os.File in Go's netpoller) read
// on a goroutine. The child's start and exit are included in both.
func BenchmarkPipe_Read(b *testing.B) {
	const size = 8 << 20
	args := []string{"head", "-c", "8388608", "/dev/zero"}
	b.Run("impl=weft", func(b *testing.B) {
		b.SetBytes(size)
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			buf := make([]byte, 64<<10)
			for b.Loop() {
				c := process.Command(args[0], args[1:]...)
				out, err := c.StdoutPipe()
				if err != nil {
					return err
				}
				if err := c.Start(ctx); err != nil {
					return err
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{out}, buf); err != nil {
					return err
				}
				out.Close()
				if err := c.Wait(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("impl=os-exec", func(b *testing.B) {
		b.SetBytes(size)
		buf := make([]byte, 64<<10)
		for b.Loop() {
			c := exec.Command(args[0], args[1:]...)
			out, err := c.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Start(); err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{out}, buf); err != nil {
				b.Fatal(err)
			}
			if err := c.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
