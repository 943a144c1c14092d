//go:build !weft_nodebug

package fiber_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

// simulated runs main on a loop simulated with seed (loop.WithSimulation),
// failing t if it returns an error.
func simulated(t *testing.T, seed uint64, main func(ctx context.Context) error) {
	t.Helper()
	if err := fiber.Run(context.Background(), main, virtual(), loop.WithSimulation(seed)); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
}

// TestSim_Yield: on a simulated loop, where fibers woken or started run in
// any order, a fiber that yields still resumes only after every fiber that
// was ready when it yielded has run, as Yield promises. The fibers here
// only yield, start fibers or finish, so every fiber alive and not
// running is ready.
func TestSim_Yield(t *testing.T) {
	resumes := 0
	for seed := range uint64(100) {
		simulated(t, seed, func(ctx context.Context) error {
			var (
				clock   int
				lastRan = map[int]int{} // fiber -> clock when it last ran
				alive   = map[int]bool{}
				ids     int
				failure error
			)
			var body func(id, steps int) func(ctx context.Context) (struct{}, error)
			spawn := func(ctx context.Context, steps int) {
				id := ids
				ids++
				alive[id] = true
				fiber.Go(ctx, body(id, steps))
			}
			body = func(id, steps int) func(ctx context.Context) (struct{}, error) {
				return func(ctx context.Context) (struct{}, error) {
					defer delete(alive, id)
					for k := range steps {
						clock++
						lastRan[id] = clock
						if k == 1 && id < 4 {
							spawn(ctx, 3) // a fresh fiber, ready from now on
						}
						yieldedAt := clock
						var others []int
						for o := range alive {
							if o != id {
								others = append(others, o)
							}
						}
						if err := fiber.Yield(ctx); err != nil {
							return struct{}{}, err
						}
						resumes++
						for _, o := range others {
							if alive[o] && lastRan[o] <= yieldedAt && failure == nil {
								failure = fmt.Errorf("fiber %d resumed from Yield before fiber %d, ready when it yielded, ran", id, o)
							}
						}
					}
					return struct{}{}, nil
				}
			}
			for range 4 {
				spawn(ctx, 4)
			}
			// Main waits for all without being counted as ready.
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return err
			}
			return failure
		})
	}
	if resumes < 100*20 {
		t.Errorf("only %d resumptions from Yield checked", resumes)
	}
}

// startOrder returns the order in which fibers started together first
// run, under seed, or without a simulation when plain.
func startOrder(t *testing.T, seed uint64, plain bool) string {
	t.Helper()
	var order []string
	main := func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		for i := range 6 {
			g.Go(func(context.Context) error {
				order = append(order, fmt.Sprint(i))
				return nil
			})
		}
		return g.Wait()
	}
	if plain {
		if err := fiber.Run(context.Background(), main, virtual()); err != nil {
			t.Fatal(err)
		}
	} else {
		simulated(t, seed, main)
	}
	return strings.Join(order, "")
}

// TestSim_StartOrder: fibers started together run in the order they were
// started on a plain loop, and in a seeded order on a simulated one:
// repeatable per seed, different between seeds.
func TestSim_StartOrder(t *testing.T) {
	if got := startOrder(t, 0, true); got != "012345" {
		t.Errorf("plain loop: %s, want 012345", got)
	}
	orders := map[string]bool{}
	for seed := range uint64(40) {
		o := startOrder(t, seed, false)
		if again := startOrder(t, seed, false); again != o {
			t.Fatalf("seed %d: %s, then %s", seed, o, again)
		}
		orders[o] = true
	}
	if len(orders) < 30 {
		t.Errorf("40 seeds gave only %d orders of 6 fibers", len(orders))
	}
}

// TestSim_SleepTies: fibers whose Sleeps end at the same instant wake in
// a seeded order; a shorter Sleep still ends first.
func TestSim_SleepTies(t *testing.T) {
	orders := map[string]bool{}
	for seed := range uint64(40) {
		var order []string
		simulated(t, seed, func(ctx context.Context) error {
			g, _ := fiber.NewGroup(ctx)
			for i := range 5 {
				g.Go(func(ctx context.Context) error {
					d := 10 * time.Millisecond
					if i == 4 {
						d = 9 * time.Millisecond
					}
					if err := fiber.Sleep(ctx, d); err != nil {
						return err
					}
					order = append(order, fmt.Sprint(i))
					return nil
				})
			}
			return g.Wait()
		})
		o := strings.Join(order, "")
		if len(o) != 5 || o[0] != '4' {
			t.Fatalf("seed %d: woke as %s, want 4 (the shorter Sleep) first", seed, o)
		}
		orders[o] = true
	}
	if len(orders) < 12 {
		t.Errorf("40 seeds woke four tied Sleeps in only %d orders", len(orders))
	}
}
