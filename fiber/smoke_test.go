package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

func TestSmoke(t *testing.T) {
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		a := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "a start")
			if err := fiber.Sleep(ctx, time.Hour); err != nil {
				return 0, err
			}
			log = append(log, "a woke")
			return 1, nil
		})
		b := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "b start")
			fiber.Yield(ctx)
			log = append(log, "b yielded")
			return 2, nil
		})
		x, err := fiber.Await(ctx, a)
		if err != nil {
			return err
		}
		y, _ := fiber.Await(ctx, b)
		log = append(log, fmt.Sprint("sum ", x+y))
		v, err := fiber.Blocking(ctx, func(context.Context) (string, error) { return "blocking", nil })
		log = append(log, v)
		return err
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	t.Log(log, err)
	if err != nil {
		t.Fatal(err)
	}
}

func TestDeadlockGroup(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			return fiber.Suspend(ctx, "forever", func(fiber.Waiter) {})
		})
		return g.Wait()
	})
	var d *fiber.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "forever") {
		t.Fatal("no forever")
	}
}
