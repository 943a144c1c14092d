//go:build linux || darwin || freebsd || netbsd || openbsd

package signal_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// TestMain fails the run if a goroutine is left behind once every test
// has finished: a relaying goroutine whose last subscriber stopped, a loop.
// os/signal's own goroutine, which lives as long as the process, is known
// to goleak and not counted. It also runs the child side of
// TestStopRestoresDefault when the test binary is started as that child.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}

// waitLimit bounds, in real time, how long a test waits for something that
// must happen. It is never slept: it only turns a hang into a failure.
const waitLimit = 20 * time.Second

// raise sends sig to this process. The kernel hands it to one of the
// process's threads, maybe another than the caller's and a moment after
// kill returns; the Go runtime's handler passes it on to os/signal.
func raise(t testing.TB, sig unix.Signal) {
	t.Helper()
	if err := unix.Kill(unix.Getpid(), sig); err != nil {
		t.Fatalf("kill(self, %v): %v", sig, err)
	}
}

// run runs main as a fiber program and fails t with its error.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	if err := fiber.Run(context.Background(), main); err != nil {
		t.Fatal(err)
	}
}

// recvTimeout is Recv bounded by waitLimit, so that a lost signal fails
// the test instead of hanging it.
func recvTimeout(ctx context.Context, recv func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	return recv(ctx)
}
