package debug_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	wsync "github.com/weftio/weft/sync"
)

// parkedScene runs, on a loop of its own, a main fiber and three children
// parked in three ways: an Await of a future that main made, a Sleep,
// and a Mutex.Lock of a mutex main holds. Once all four are parked it
// calls look from a goroutine of the test, then lets them finish. lines
// are where the scene made the future, awaited it, and spawned its first
// child.
type parkedScene struct {
	made, await, spawn string
	loop               *loop.Loop
}

func runParkedScene(t *testing.T, look func(s *parkedScene), opts ...loop.Option) {
	t.Helper()
	var s parkedScene
	parked := make(chan struct{}, 1)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		s.loop = fiber.Loop(ctx)
		s.made = here()
		fut, p := future.New[int](s.loop)
		var mu wsync.Mutex
		if err := mu.Lock(ctx); err != nil {
			return err
		}
		var wake context.CancelFunc // the sleeper's, called by main
		g, _ := fiber.NewGroup(ctx)
		s.spawn = here()
		g.Go(func(ctx context.Context) error {
			s.await = here()
			_, err := fiber.Await(ctx, fut)
			return err
		})
		g.Go(func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			wake = cancel
			if err := fiber.Sleep(ctx, time.Hour); err != context.Canceled {
				return fmt.Errorf("Sleep: %v", err)
			}
			return nil
		})
		g.Go(func(ctx context.Context) error {
			if err := mu.Lock(ctx); err != nil {
				return err
			}
			mu.Unlock()
			return nil
		})
		// Fibers start in the order they were made, and each of the
		// three parks at once: when this one runs, they are all parked.
		g.Go(func(ctx context.Context) error {
			parked <- struct{}{}
			return nil
		})
		// look runs on a goroutine of the test while main is parked in a
		// Blocking call; then main lets everyone go.
		if _, err := fiber.Blocking(ctx, func(context.Context) (int, error) {
			<-parked
			look(&s)
			return 0, nil
		}); err != nil {
			return err
		}
		p.Resolve(1)
		wake()
		mu.Unlock()
		return g.Wait()
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
}

// Without debug mode a dump still lists the fibers and what they wait in,
// but not for how long, nor where.
func TestDump_WithoutDebugMode(t *testing.T) {
	if inChildWithoutDebug(t) {
		return
	}
	var dump string
	var id uint64
	runParkedScene(t, func(s *parkedScene) {
		var b bytes.Buffer
		if err := debug.Dump(&b); err != nil {
			t.Error(err)
		}
		dump, id = b.String(), s.loop.ID()
	})
	sect := loopSection(t, dump, id)
	for _, want := range []string{
		fmt.Sprintf("loop %d: ", id),
		"\t4 fibers, 4 parked:\n",
		"\tfiber 1 [parked in Await]: github.com/weftio/weft/debug_test.runParkedScene.func1\n",
		"\tfiber 2 [parked in Await]: github.com/weftio/weft/debug_test.runParkedScene.func1.1\n",
		"\tfiber 3 [parked in Sleep]: github.com/weftio/weft/debug_test.runParkedScene.func1.2\n",
		"\tfiber 4 [parked in Mutex.Lock]: github.com/weftio/weft/debug_test.runParkedScene.func1.3",
	} {
		if !strings.Contains(sect, want) {
			t.Errorf("the dump does not show %q:\n%s", want, sect)
		}
	}
	if strings.Contains(sect, "waiting at") || strings.Contains(sect, "spawned") {
		t.Errorf("sites in a dump without debug mode:\n%s", sect)
	}
}

// loopSection returns the part of dump about loop id.
func loopSection(t *testing.T, dump string, id uint64) string {
	t.Helper()
	for _, sect := range strings.Split(dump, "\n\n") {
		if strings.HasPrefix(sect, fmt.Sprintf("loop %d:", id)) || strings.HasPrefix(sect, fmt.Sprintf("loop %d [", id)) {
			return sect
		}
	}
	t.Fatalf("no section for loop %d in the dump:\n%s", id, dump)
	return ""
}

// hasLine reports whether a line of s contains every one of parts, in
// order.
func hasLine(s string, parts ...string) bool {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
