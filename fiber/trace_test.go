//go:build !weft_nodebug

package fiber_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"testing"

	xtrace "golang.org/x/exp/trace"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

// tracedChild yields twice: three stretches of running, three regions.
func tracedChild(ctx context.Context) (int, error) {
	for range 2 {
		if err := fiber.Yield(ctx); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// TestTrace_FibersAreTasksAndRegions records a runtime/trace of a loop
// in debug mode and reads it back with golang.org/x/exp/trace: each fiber
// is a task named after its function, child tasks hang under their
// spawner's, and each stretch a fiber runs is a region of its task.
func TestTrace_FibersAreTasksAndRegions(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatalf("trace.Start: %v (is the test run with -trace?)", err)
	}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		_, err := fiber.Await(ctx, fiber.Go(ctx, tracedChild))
		return err
	}, loop.WithDebug())
	trace.Stop()
	if err != nil {
		t.Fatal(err)
	}

	const child = "github.com/weftio/weft/fiber_test.tracedChild"
	const mainFn = "github.com/weftio/weft/fiber_test.TestTrace_FibersAreTasksAndRegions.func1"
	tasks := map[xtrace.TaskID]xtrace.Task{} // by ID, as begun
	regions := map[string][]xtrace.TaskID{}  // region type -> task of each region begun
	ended := map[string]int{}
	r, err := xtrace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind() {
		case xtrace.EventTaskBegin:
			tk := ev.Task()
			tasks[tk.ID] = tk
		case xtrace.EventRegionBegin:
			rg := ev.Region()
			regions[rg.Type] = append(regions[rg.Type], rg.Task)
		case xtrace.EventRegionEnd:
			ended[ev.Region().Type]++
		}
	}
	var mainTask, childTask xtrace.Task
	for _, tk := range tasks {
		switch tk.Type {
		case mainFn:
			mainTask = tk
		case child:
			childTask = tk
		}
	}
	if mainTask.Type == "" || childTask.Type == "" {
		t.Fatalf("no task for the main fiber and its child among %v", tasks)
	}
	if childTask.Parent != mainTask.ID {
		t.Errorf("the child's task has parent %v, want the main fiber's %v", childTask.Parent, mainTask.ID)
	}
	if got := regions[child]; len(got) != 3 || ended[child] != 3 {
		t.Errorf("child: %d regions begun, %d ended; want 3 and 3", len(got), ended[child])
	} else {
		for _, id := range got {
			if id != childTask.ID {
				t.Errorf("a region of the child is in task %v, want %v", id, childTask.ID)
			}
		}
	}
	// main runs twice: until it awaits its child, and after.
	if got := regions[mainFn]; len(got) != 2 {
		t.Errorf("main fiber: %d regions, want 2", len(got))
	}
}

// TestProfileLabels_OnFibers: in debug mode a fiber's goroutine carries
// the pprof labels weft.loop and weft.fiber, which a goroutine profile
// shows for a parked fiber (and a CPU profile for a running one).
func TestProfileLabels_OnFibers(t *testing.T) {
	var profile bytes.Buffer
	var loopID uint64
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		loopID = fiber.Loop(ctx).ID()
		f := fiber.Go(ctx, func(ctx context.Context) (int, error) { return 0, fiber.Yield(ctx) })
		// The child has started and yielded: it is parked on its
		// coroutine, labels and all.
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		if err := pprof.Lookup("goroutine").WriteTo(&profile, 1); err != nil {
			return err
		}
		_, err := fiber.Await(ctx, f)
		return err
	}, loop.WithDebug())
	if err != nil {
		t.Fatal(err)
	}
	fiberLabel := `"weft.fiber":"github.com/weftio/weft/fiber_test.TestProfileLabels_OnFibers.func1.1"`
	loopLabel := fmt.Sprintf(`"weft.loop":"%d"`, loopID)
	found := false
	for _, line := range strings.Split(profile.String(), "\n") {
		found = found || strings.HasPrefix(line, "# labels: {") && strings.Contains(line, fiberLabel) && strings.Contains(line, loopLabel)
	}
	if !found {
		t.Errorf("no goroutine labelled %s and %s in:\n%s", fiberLabel, loopLabel, profile.String())
	}
}
