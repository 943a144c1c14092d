//go:build linux

package fs_test

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/internal/fdtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

// backends are the back-ends every test runs on: both, unless
// WEFT_IO_URING picks one (CI runs the suite once more with "0").
func backends(t *testing.T) []fs.Backend {
	switch os.Getenv(fs.EnvIOUring) {
	case "0":
		return []fs.Backend{fs.Pool}
	case "1":
		return []fs.Backend{fs.IOUring}
	}
	if fs.RingAvailable() != nil {
		t.Logf("io_uring is unavailable here: the pool back-end only (%v)", fs.RingAvailable())
		return []fs.Backend{fs.Pool}
	}
	return []fs.Backend{fs.IOUring, fs.Pool}
}

// each runs body as the main fiber of a loop on each back-end, as
// subtests, and checks that no fd is left behind.
func each(t *testing.T, body func(t *testing.T, ctx context.Context)) {
	for _, b := range backends(t) {
		t.Run(b.String(), func(t *testing.T) {
			fdtest.Check(t)
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				if err := fs.Configure(fiber.Loop(ctx), fs.WithBackend(b)); err != nil {
					return err
				}
				got, err := fs.BackendOf(fiber.Loop(ctx))
				if err != nil || got != b {
					t.Fatalf("BackendOf = %v, %v; want %v", got, err, b)
				}
				body(t, ctx)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// spawn starts fn as a fiber; the func it returns awaits its error (under
// ctx: do not pass a context that will be cancelled).
func spawn(ctx context.Context, fn func(ctx context.Context) error) func() error {
	f := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return func() error { _, err := fiber.Await(ctx, f); return err }
}
