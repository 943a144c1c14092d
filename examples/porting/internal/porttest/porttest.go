// Package porttest checks a version of the porting example against the
// report every version must print, examples/porting/testdata/want.txt.
// Each version's test calls Check with its run function, so all three
// are held to the same bytes, and to each other.
package porttest

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/future"
)

var update = flag.Bool("update", false, "rewrite testdata/want.txt with this version's report")

// golden is the report's path from a version's directory, where its test
// runs: the versions are siblings of testdata.
var golden = filepath.Join("..", "testdata", "want.txt")

// hangAfter is how long a run may take before Check calls it hung; a run
// takes well under a second (app.SlowLatency is the longest wait).
const hangAfter = 10 * time.Second

// Check runs one version and fails t unless its report is byte for byte
// the golden one and no future was rejected without anyone looking
// (each version handles every error it meets).
func Check(t *testing.T, run func(io.Writer) error) {
	t.Helper()
	var (
		mu        sync.Mutex
		unhandled []future.Unhandled
	)
	prev := future.SetUnhandledHook(func(u future.Unhandled) {
		mu.Lock()
		defer mu.Unlock()
		unhandled = append(unhandled, u)
	})
	defer future.SetUnhandledHook(prev)

	// Callback code that loses track of a branch does not fail, it
	// hangs: a counter that never reaches zero, a callback never called.
	// Say so in seconds rather than at go test's ten-minute timeout.
	var out strings.Builder
	done := make(chan error, 1)
	go func() { done <- run(&out) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
		}
	case <-time.After(hangAfter):
		t.Fatalf("run has not returned after %v: some branch never finished", hangAfter)
	}
	got := out.String()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("report differs from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range unhandled {
		t.Errorf("unhandled rejection (%s) from %s: %v", u.When, u.Origin, u.Err)
	}
}
