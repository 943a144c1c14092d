//go:build !weft_nodebug

package simtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/simtest"
)

// Run runs a program once under a seed: the same seed gives the same
// order every time, another seed (usually) another.
func ExampleRun() {
	order := func(seed uint64) string {
		var ran []string
		err := simtest.Run(seed, func(ctx context.Context) error {
			g, _ := fiber.NewGroup(ctx)
			for _, name := range []string{"a", "b", "c", "d"} {
				g.Go(func(context.Context) error {
					ran = append(ran, name)
					return nil
				})
			}
			return g.Wait()
		})
		if err != nil {
			return err.Error()
		}
		return strings.Join(ran, "")
	}
	fmt.Println("seed 1:", order(1), order(1))
	fmt.Println("seed 3:", order(3), order(3))
	// Output:
	// seed 1: cbad cbad
	// seed 3: dbac dbac
}

// Seeds tries a program under many seeds and reports the first that
// fails. This loader passes every plain run (its workers start after it,
// so a plain loop runs them after it) and fails under the seeds that run
// a worker first.
func ExampleSeeds() {
	loader := func(ctx context.Context) error {
		var config map[string]string
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(context.Context) error {
			config = map[string]string{"addr": "localhost:80"}
			return nil
		})
		for i := range 2 {
			g.Go(func(context.Context) error {
				if config == nil {
					return fmt.Errorf("worker %d: no config yet", i)
				}
				return nil
			})
		}
		return g.Wait()
	}
	// In a test: simtest.Seeds(t, 100, loader).
	simtest.Seeds(printT{}, 100, loader)
	// Output:
	// simtest: seed 1 (of 1..100) failed: worker 1: no config yet
	// 	the replay failed again, with the same error
}

// printT is the testing.TB of ExampleSeeds, which has no test: it prints
// the report without its replay line, which names a directory.
type printT struct{ testing.TB }

func (printT) Helper()      {}
func (printT) Name() string { return "TestLoader" }
func (printT) Fatalf(format string, args ...any) {
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		if !strings.Contains(line, "replay: ") {
			fmt.Println(line)
		}
	}
}
