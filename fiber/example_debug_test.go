//go:build !weft_nodebug

package fiber_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

func fetchPage(ctx context.Context) (string, error) { panic("nil map") }

func crawl(ctx context.Context) (string, error) {
	return fiber.Await(ctx, fiber.Go(ctx, fetchPage))
}

// In debug mode, a fiber's error carries its async stack trace: the
// fibers that spawned it, back to the root, each with where it was
// spawned and where it waits.
func ExampleAsyncError() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		_, err := fiber.Await(ctx, fiber.Go(ctx, crawl))
		return err
	}, loop.WithDebug())

	var ae *fiber.AsyncError
	if errors.As(err, &ae) {
		for _, sp := range ae.Chain {
			fmt.Printf("fiber %d [%s %s]: %s\n", sp.Fiber, sp.State, sp.What, sp.Name)
		}
	}
	// Output:
	// fiber 3 [failing ]: github.com/weftio/weft/fiber_test.fetchPage
	// fiber 2 [parked Await]: github.com/weftio/weft/fiber_test.crawl
	// fiber 1 [parked Await]: github.com/weftio/weft/fiber_test.ExampleAsyncError.func1
}
