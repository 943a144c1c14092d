package debug_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
)

// Dump lists every loop's fibers, what they wait in and, in debug mode,
// for how long, where and since which spawn. Here the fibers' lines
// only, from a goroutine other than the loop's, while the fibers wait.
func ExampleDump() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		reply, p := future.New[string](fiber.Loop(ctx))
		worker := fiber.Go(ctx, func(ctx context.Context) (string, error) {
			return fiber.Await(ctx, reply)
		})
		// Dump from another goroutine (a signal handler, an HTTP handler)
		// while the worker is parked; main waits for it in Blocking.
		_, err := fiber.Blocking(ctx, func(context.Context) (int, error) {
			var b bytes.Buffer
			debug.Dump(&b)
			for _, line := range strings.Split(b.String(), "\n") {
				// "\tfiber 2 [parked in Await]: pkg.fn", and in debug
				// mode "[parked in Await for 73µs]" and a few lines of sites.
				if fiber, rest, ok := strings.Cut(strings.TrimSpace(line), " ["); ok && strings.HasPrefix(fiber, "fiber ") {
					state, _, _ := strings.Cut(rest, "]")
					state, _, _ = strings.Cut(state, " for ")
					fmt.Println(fiber, state)
				}
			}
			return 0, nil
		})
		p.Resolve("done")
		fiber.Await(ctx, worker)
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// fiber 1 parked in Await
	// fiber 2 parked in Await
}

// WritePrometheus writes every loop's metrics in the Prometheus text
// format, for an admin endpoint: here the fiber counts only.
func ExampleWritePrometheus() {
	fiber.Run(context.Background(), func(ctx context.Context) error {
		var b bytes.Buffer
		debug.WritePrometheus(&b) // from the loop itself: it answers at once
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(line, "weft_loop_fibers") {
				fmt.Println(line[:strings.Index(line, "{")], line[strings.LastIndex(line, " ")+1:])
			}
		}
		return nil
	})
	// Output:
	// weft_loop_fibers 1
	// weft_loop_fibers_parked 0
}

// Read returns one loop's metrics as a struct.
func ExampleRead() {
	fiber.Run(context.Background(), func(ctx context.Context) error {
		m := debug.Read(fiber.Loop(ctx))
		fmt.Println("fibers:", m.Fibers, "parked:", m.Parked)
		return nil
	})
	// Output:
	// fibers: 1 parked: 0
}

// A program installs the SIGQUIT handler at start and removes it on the
// way out; kill -QUIT then prints a dump instead of ending the process.
func ExampleInstallSIGQUIT() {
	stop := debug.InstallSIGQUIT(os.Stderr)
	defer stop()
	// ... run the program's loops ...
}
