package uring_test

import (
	"errors"
	"flag"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/internal/uring"
)

// TestMain fails the run if any goroutine is left behind once every test
// has finished (the package starts none; this keeps it so), and removes
// the benchmarks' file.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeBenchFile()
		os.Exit(code)
	}))
}

// seedFlag replays a run of the randomized tests, which print their seed.
var seedFlag = flag.Uint64("uring.seed", 0, "seed for the randomized tests of package uring (0: a new one each run)")

// testSeed returns the seed for t's random choices, and prints it if t
// fails, so that the run can be replayed with -uring.seed.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed %d (replay with -uring.seed=%d)", seed, seed)
		}
	})
	return seed
}

// waitLimit bounds, in real time, how long a test waits for something that
// must happen. It is never slept: it only turns a hang into a failure.
const waitLimit = 20 * time.Second

// newRing returns a Ring with cfg that t closes when it ends, or skips t
// where io_uring is unavailable.
func newRing(t testing.TB, cfg uring.Config) *uring.Ring {
	t.Helper()
	r, err := uring.New(cfg)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("io_uring unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// do prepares one SQE with each of preps, with user data 1 to
// len(preps), submits them, waits for every CQE, and returns them in the
// order of preps.
func do(t testing.TB, r *uring.Ring, preps ...func(*uring.SQE)) []uring.CQE {
	t.Helper()
	for i, prep := range preps {
		s := r.SQE()
		if s == nil {
			t.Fatalf("SQE() = nil after %d of %d", i, len(preps))
		}
		prep(s)
		s.SetUserData(uint64(i + 1))
	}
	if n, err := r.SubmitAndWait(uint32(len(preps))); err != nil || n != len(preps) {
		t.Fatalf("SubmitAndWait(%d) = %d, %v", len(preps), n, err)
	}
	out := make([]uring.CQE, len(preps))
	seen := make([]bool, len(preps))
	r.Reap(func(c uring.CQE) {
		i := int(c.UserData) - 1
		if i < 0 || i >= len(out) || seen[i] {
			t.Errorf("unexpected CQE %+v", c)
			return
		}
		out[i], seen[i] = c, true
	})
	for i, ok := range seen {
		if !ok {
			t.Fatalf("no CQE for operation %d", i+1)
		}
	}
	return out
}

// do1 is do with one operation, returning its Res.
func do1(t testing.TB, r *uring.Ring, prep func(*uring.SQE)) int32 {
	t.Helper()
	return do(t, r, prep)[0].Res
}
