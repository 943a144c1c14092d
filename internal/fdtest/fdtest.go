// Package fdtest counts the process's open file descriptors, for the tests
// that prove no fd outlives its owner. Tests only.
package fdtest

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// dir is where the process's open fds are listed.
func dir() string {
	if runtime.GOOS == "linux" {
		return "/proc/self/fd"
	}
	return "/dev/fd" // the BSDs and macOS
}

// Count returns how many file descriptors the process has open.
func Count(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir(dir())
	if err != nil {
		t.Fatalf("counting fds: %v", err)
	}
	return len(ents)
}

// List describes the open fds ("3→/tmp/x 4→socket:[123]"), for a leak
// report.
func List() string {
	ents, _ := os.ReadDir(dir())
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink(dir() + "/" + e.Name())
		out = append(out, e.Name()+"→"+target)
	}
	return strings.Join(out, " ")
}

// Check fails t if the process holds more fds once the test (and its
// cleanups registered after Check) has finished than at the call. An fd
// closed by a goroutine that has just returned may take a moment to leave
// the table, so it waits up to 2 s before it reports.
func Check(t *testing.T) {
	t.Helper()
	before := Count(t)
	beforeList := List()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			after := Count(t)
			if after <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("fds: %d before the test, %d after:\nbefore: %s\nafter:  %s", before, after, beforeList, List())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
