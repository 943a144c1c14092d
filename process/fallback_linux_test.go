package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/process"
)

// Where the kernel has pidfd_open, the package uses it.
func TestPidfdUsed(t *testing.T) {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err == nil {
		unix.Close(fd)
	}
	if process.UsePidfd() != (err == nil) {
		t.Errorf("UsePidfd() = %v, but pidfd_open gives %v", process.UsePidfd(), err)
	}
}

// The SIGCHLD fallback of the BSDs and macOS, exercised on Linux: exit
// statuses, output, a kill by context, many children; the subscription
// ends with the last child.
func TestSIGCHLDFallback(t *testing.T) {
	defer process.SetPidfd(false)()
	run(t, func(ctx context.Context) error {
		out, err := process.Command("sh", "-c", "echo hi; exit 4").Output(ctx)
		var ee *process.ExitError
		if string(out) != "hi\n" || !errors.As(err, &ee) || ee.ExitCode() != 4 {
			return fmt.Errorf("Output: %q, %v", out, err)
		}
		tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		c := process.Command("sleep", "60")
		if err := c.Start(tctx); err != nil {
			return err
		}
		if n, subscribed := process.Watchers(c); n != 1 || !subscribed {
			return fmt.Errorf("a child without pidfd: %d watched, subscribed %v", n, subscribed)
		}
		if err := c.Wait(); !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Wait: %v", err)
		}
		if n, subscribed := process.Watchers(c); n != 0 || subscribed {
			return fmt.Errorf("after the last child: %d watched, subscribed %v", n, subscribed)
		}
		return nil
	})
	manyChildren(t, 60)
}

// A fiber waiting for a child, with nothing else to do, is not taken for
// a deadlock: the pidfd in the poller, or the SIGCHLD subscription, can
// still wake the loop.
func TestWaitIsNoDeadlock(t *testing.T) {
	for _, pidfd := range []bool{true, false} {
		t.Run(fmt.Sprint("pidfd=", pidfd), func(t *testing.T) {
			defer process.SetPidfd(pidfd)()
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				out, err := process.Command("sh", "-c", "sleep 0.05; echo done").Output(ctx)
				if string(out) != "done\n" {
					return fmt.Errorf("output %q, %v", out, err)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
