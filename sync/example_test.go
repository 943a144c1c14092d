package sync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	wsync "github.com/weftio/weft/sync"
)

// A Mutex keeps a read-modify-write that parks in the middle (a cache
// refill that awaits a backend) to one fiber at a time; the fibers queue
// for it in the order they came.
func ExampleMutex() {
	var (
		mu    wsync.Mutex
		cache = map[string]int{}
		calls int
	)
	get := func(ctx context.Context, key string) (int, error) {
		if err := mu.Lock(ctx); err != nil {
			return 0, err
		}
		defer mu.Unlock()
		if v, ok := cache[key]; ok {
			return v, nil
		}
		calls++
		if err := fiber.Sleep(ctx, 10*time.Millisecond); err != nil { // the backend
			return 0, err
		}
		cache[key] = len(key)
		return cache[key], nil
	}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, ctx := fiber.NewGroup(ctx)
		for i := range 3 {
			g.Go(func(ctx context.Context) error {
				v, err := get(ctx, "weft")
				fmt.Println("fiber", i, "got", v)
				return err
			})
		}
		return g.Wait()
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	fmt.Println("backend calls:", calls, "error:", err)
	// Output:
	// fiber 0 got 4
	// fiber 1 got 4
	// fiber 2 got 4
	// backend calls: 1 error: <nil>
}

// A producer and a consumer joined by a bounded Chan; the consumer Selects
// between the next job and a stop signal, a future.
func ExampleSelect() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		jobs := wsync.NewChan[string](2)
		stop := fiber.Go(ctx, func(ctx context.Context) (string, error) {
			return "time is up", fiber.Sleep(ctx, time.Second)
		})
		fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
			defer jobs.Close()
			for _, j := range []string{"a", "b", "c"} {
				if err := jobs.Send(ctx, j); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
		for {
			var (
				job  string
				more bool
				why  string
			)
			i, err := wsync.Select(ctx,
				wsync.RecvCase(jobs, func(j string, ok bool) { job, more = j, ok }),
				wsync.FutureCase(stop, func(s string, _ error) { why = s }),
			)
			switch {
			case err != nil:
				return err
			case i == 1:
				fmt.Println("stopped:", why)
				return nil
			case !more:
				fmt.Println("no more jobs")
				// The stop signal is still to come: wait for it.
				_, err := fiber.Await(ctx, stop)
				return err
			default:
				fmt.Println("job", job)
			}
		}
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	fmt.Println("error:", err)
	// Output:
	// job a
	// job b
	// job c
	// no more jobs
	// error: <nil>
}

// An Event is a flag that fibers wait for: here, a server's readiness.
func ExampleEvent() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		var ready wsync.Event
		for i := range 2 {
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				err := ready.Wait(ctx)
				fmt.Println("client", i, "sees the server ready")
				return struct{}{}, err
			})
		}
		fiber.Sleep(ctx, time.Second) // the server starts
		fmt.Println("server ready")
		ready.Set()
		return nil
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	fmt.Println("error:", err)
	// Output:
	// server ready
	// client 0 sees the server ready
	// client 1 sees the server ready
	// error: <nil>
}
