//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/process"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "subprocess:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		for _, step := range []func(context.Context, func(string, ...any)) error{feed, pipeline, exitStatus, killed, loopGoesOn} {
			if err := step(ctx, log); err != nil {
				return err
			}
		}
		return nil
	})
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return err
}

// feed gives a child its input and reads its output: Output parks the
// fiber until the child has exited and its output is copied.
func feed(ctx context.Context, log func(string, ...any)) error {
	cmd := process.Command("tr", "a-z", "A-Z")
	cmd.Stdin = strings.NewReader("hello, weft\n")
	out, err := cmd.Output(ctx)
	if err != nil {
		return err
	}
	log("tr a-z A-Z read %q and wrote %q; %v", "hello, weft\n", out, cmd.ProcessState)
	return nil
}

// pipeline runs printf | sort | tr: the pipes go from child to child.
func pipeline(ctx context.Context, log func(string, ...any)) error {
	p := process.NewPipeline(
		process.Command("printf", `c\na\nb\n`),
		process.Command("sort"),
		process.Command("tr", "a-z", "A-Z"))
	out, err := p.Output(ctx)
	if err != nil {
		return err
	}
	log("printf | sort | tr wrote %q", out)
	return nil
}

// exitStatus runs a child that fails: the error is an *ExitError.
func exitStatus(ctx context.Context, log func(string, ...any)) error {
	err := process.Command("sh", "-c", "exit 3").Run(ctx)
	var ee *process.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("sh -c 'exit 3': %v, want an *ExitError", err)
	}
	log("sh -c 'exit 3' failed: %v (exit code %d)", err, ee.ExitCode())
	return nil
}

// killed runs a child that would sleep for a minute under a context that
// ends after 20 ms: the loop kills it, and Wait says why.
func killed(ctx context.Context, log func(string, ...any)) error {
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := process.Command("sleep", "60").Run(tctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sleep 60 under a 20 ms context: %v", err)
	}
	log("sleep 60 under a 20 ms context: %v; errors.Is(err, context.DeadlineExceeded): true", err)
	return nil
}

// loopGoesOn waits for cat to exit while another fiber, on the loop's
// timer, writes cat's input and closes it at the third tick: the wait
// never held the loop.
func loopGoesOn(ctx context.Context, log func(string, ...any)) error {
	cmd := process.Command("cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(ctx); err != nil {
		return err
	}
	ticks := fiber.Go(ctx, func(ctx context.Context) (int, error) {
		for tick := 1; ; tick++ {
			if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
				return tick, err
			}
			fmt.Fprintf(in, "tick %d\n", tick)
			if tick == 3 {
				return tick, in.Close() // cat sees end of file and exits
			}
		}
	})
	if err := cmd.Wait(); err != nil {
		return err
	}
	if _, err := fiber.Await(ctx, ticks); err != nil {
		return err
	}
	log("while a fiber waited for cat to exit, the loop's timer fed it %q", out.String())
	return nil
}
