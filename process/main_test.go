//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
)

// TestMain fails the run if a goroutine is left behind once every test
// has finished: a loop, a context watch, a SIGCHLD relay, an offload
// worker.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds, in real time, how long a test waits for something that
// must happen. It is never slept: it only turns a hang into a failure.
const waitLimit = 20 * time.Second

// run runs main as a fiber program, checking that it leaves no fd open,
// and fails t with its error.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	fdtest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := fiber.Run(ctx, main); err != nil {
		t.Fatal(err)
	}
}

// spawn starts fn as a fiber and returns a func that awaits its error.
func spawn(ctx context.Context, fn func(ctx context.Context) error) func() error {
	f := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return func() error { _, err := fiber.Await(ctx, f); return err }
}
