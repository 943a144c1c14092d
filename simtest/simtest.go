package simtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
)

// The environment variables that Seeds reads.
const (
	// EnvSeed, when set and not empty, makes Seeds run that one seed
	// (decimal, or hex with 0x) instead of its range: the way to replay a
	// failure.
	EnvSeed = "WEFT_SIM_SEED"
	// EnvSeeds, when set and not empty, makes Seeds run seeds 1 to its
	// value instead of 1 to n: the way to search longer without editing
	// a test.
	EnvSeeds = "WEFT_SIM_SEEDS"
)

// start is where the virtual clock of a simulation starts, so that
// loop.Time is the same in every run.
var start = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// Run runs main once as the main fiber of a loop simulated with seed
// (loop.WithSimulation), on virtual time starting at 2000-01-01 00:00 UTC,
// and returns what fiber.Run returns: main's error, a *fiber.DeadlockError
// if every fiber is parked for good, a panic of main as an error with its
// stack. opts are given to the loop after simtest's own (a
// loop.WithVirtualTime among them moves the start). The same seed and the
// same main make the same run, unless something outside the loop steers
// main (see the package documentation).
//
// main gets a context that is never cancelled from outside, so a deadlock
// is reported rather than waited out; a test that must not hang for other
// reasons relies on go test's -timeout. In a build with the weft_nodebug
// tag, Run returns loop.ErrNoSimulation.
func Run(seed uint64, main func(ctx context.Context) error, opts ...loop.Option) error {
	if main == nil {
		panic("simtest: Run with a nil func")
	}
	all := make([]loop.Option, 0, 2+len(opts))
	all = append(all, loop.WithVirtualTime(start), loop.WithSimulation(seed))
	all = append(all, opts...)
	return fiber.Run(context.Background(), main, all...)
}

// Seeds runs main under seeds 1 to n, one Run each, and fails t at the
// first seed whose run returns an error, with that error, the seed, the
// command that replays it alone and whether a second run of that seed
// failed again (if not, something outside the simulation steers the test).
// The environment can change the seeds: WEFT_SIM_SEED=s runs only seed s,
// WEFT_SIM_SEEDS=m runs seeds 1 to m (see the package documentation);
// a malformed value fails t. n must be at least 1.
//
// If main ends the goroutine instead of returning (t.FailNow or t.Fatal
// called in a fiber), Seeds still reports the seed it was running before
// the test ends.
func Seeds(t testing.TB, n int, main func(ctx context.Context) error, opts ...loop.Option) {
	t.Helper()
	if main == nil {
		panic("simtest: Seeds with a nil func")
	}
	first, last, err := seedRange(n)
	if err != nil {
		t.Fatalf("simtest: %v", err)
		return
	}
	seed, returned := first, false
	defer func() {
		if !returned {
			t.Errorf("simtest: seed %d (of %s) ended the test goroutine (t.FailNow or runtime.Goexit in a fiber)\n\treplay: %s",
				seed, span(first, last), replay(t, seed))
		}
	}()
	for ; ; seed++ {
		if err := Run(seed, main, opts...); err != nil {
			again := Run(seed, main, opts...)
			returned = true
			t.Fatalf("simtest: seed %d (of %s) failed: %v\n\treplay: %s\n\t%s",
				seed, span(first, last), err, replay(t, seed), replayed(err, again))
			return // for a testing.TB whose Fatalf returns
		}
		if seed == last {
			break
		}
	}
	returned = true
}

// Seed returns the seed of the simulation that the calling fiber runs in,
// and false if its loop is not simulated: a test can draw its workload
// from it (sizes, weights, delays), so that a seed replays those too.
// Only a fiber may call it (see fiber.Loop).
func Seed(ctx context.Context) (uint64, bool) {
	return fiber.Loop(ctx).Simulated()
}

// seedRange returns the seeds Seeds runs, first to last, after the
// environment has had its say.
func seedRange(n int) (first, last uint64, err error) {
	if s := os.Getenv(EnvSeed); strings.TrimSpace(s) != "" {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 0, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s=%q is not a seed (want an unsigned integer, decimal or 0x hex): %w", EnvSeed, s, err)
		}
		return seed, seed, nil
	}
	if s := os.Getenv(EnvSeeds); strings.TrimSpace(s) != "" {
		m, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil || m == 0 {
			if err == nil {
				err = errors.New("zero seeds")
			}
			return 0, 0, fmt.Errorf("%s=%q is not a number of seeds (want a positive integer): %w", EnvSeeds, s, err)
		}
		return 1, m, nil
	}
	if n < 1 {
		return 0, 0, fmt.Errorf("Seeds: n = %d, want at least 1", n)
	}
	return 1, uint64(n), nil
}

func span(first, last uint64) string {
	if first == last {
		return "only " + strconv.FormatUint(first, 10)
	}
	return fmt.Sprintf("%d..%d", first, last)
}

// replay returns the command that runs t's test again, with only seed.
func replay(t testing.TB, seed uint64) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := fmt.Sprintf("%s=%d go test -run '%s'", EnvSeed, seed, strings.Join(parts, "/"))
	if dir, err := os.Getwd(); err == nil {
		cmd += " " + dir // go test runs a test binary in its package's directory
	}
	return cmd
}

// replayed says how the second run of a failing seed went.
func replayed(err, again error) string {
	switch {
	case again == nil:
		return "the replay did NOT fail: something outside the simulation steers this test (another goroutine, real time, real I/O)"
	case sameFailure(err, again):
		return "the replay failed again, with the same error"
	default:
		return fmt.Sprintf("the replay failed again, with: %v", again)
	}
}

// sameFailure reports whether two runs failed the same way: the same
// panic value, as many fibers in a deadlock, or else the same message (a
// panic's or a deadlock's message holds stacks, whose argument words
// differ from run to run).
func sameFailure(a, b error) bool {
	var pa, pb *panics.ErrRecovered
	if errors.As(a, &pa) && errors.As(b, &pb) {
		return fmt.Sprint(pa.Value) == fmt.Sprint(pb.Value)
	}
	var da, db *fiber.DeadlockError
	if errors.As(a, &da) && errors.As(b, &db) {
		return da.Fibers == db.Fibers
	}
	return a.Error() == b.Error()
}
