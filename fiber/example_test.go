package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

// Run runs main as the first fiber of a new loop, on the calling
// goroutine, and returns its error once every fiber is done. On virtual
// time an hour's Sleep takes no real time.
func ExampleRun() {
	start := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		fmt.Println("hello from the main fiber")
		if err := fiber.Sleep(ctx, time.Hour); err != nil {
			return err
		}
		fmt.Println("woke at", fiber.Loop(ctx).Time().Format(time.Kitchen))
		return errors.New("main's error")
	}, loop.WithVirtualTime(start))
	fmt.Println("Run:", err)
	// Output:
	// hello from the main fiber
	// woke at 10:00AM
	// Run: main's error
}

// Go starts fibers; Await parks the caller until a future settles. The
// fibers run one at a time on the loop, so the shared slice needs no lock
// and the order is the same on every run.
func ExampleGo() {
	_ = fiber.Run(context.Background(), func(ctx context.Context) error {
		var order []string
		square := func(n int) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				// Sleep longer for smaller numbers: they finish last.
				if err := fiber.Sleep(ctx, time.Duration(10-n)*time.Millisecond); err != nil {
					return 0, err
				}
				order = append(order, fmt.Sprint(n))
				return n * n, nil
			}
		}
		a := fiber.Go(ctx, square(3))
		b := fiber.Go(ctx, square(4))
		x, err := fiber.Await(ctx, a)
		if err != nil {
			return err
		}
		y, err := fiber.Await(ctx, b)
		if err != nil {
			return err
		}
		fmt.Println("finished in the order", order)
		fmt.Println("3² + 4² =", x+y)
		return nil
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	// Output:
	// finished in the order [4 3]
	// 3² + 4² = 25
}

// A Group waits for its fibers; the first error cancels the others'
// context and Wait returns it.
func ExampleGroup() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(ctx, time.Hour); err != nil {
				fmt.Println("the slow one:", err)
				return err
			}
			return nil
		})
		g.Go(func(ctx context.Context) error {
			if err := fiber.Yield(ctx); err != nil {
				return err
			}
			return errors.New("the quick one failed")
		})
		return g.Wait()
	})
	fmt.Println("Wait:", err)
	// Output:
	// the slow one: context canceled
	// Wait: the quick one failed
}
