package proc_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/bench/internal/proc"
)

// childEnv makes TestUsageChild, run in a child process, touch that
// many MiB and keep them for a while.
const childEnv = "PROC_USAGE_CHILD"

// TestUsageChild is the child of the Measure tests; run by go test, it
// does nothing.
func TestUsageChild(t *testing.T) {
	if v := os.Getenv(childEnv); v != "" {
		mib, _ := strconv.Atoi(v)
		child(mib)
	}
}

var sink []byte

// child touches mib MiB and keeps touching them for 300 ms, long enough
// for Measure's 5 ms sampling to see them.
func child(mib int) {
	sink = make([]byte, mib<<20)
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		for i := 0; i < len(sink); i += 4096 {
			sink[i]++
		}
	}
}

func measureChild(t *testing.T, mib int) proc.Usage {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestUsageChild$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", childEnv, mib))
	u, err := proc.Measure(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A child larger than the parent: its peak is wait4's, and counts the
// memory it touched.
func TestMeasureLargeChild(t *testing.T) {
	u := measureChild(t, 96)
	// No upper bound: under -race, the child's shadow memory adds more
	// than its heap.
	if u.PeakFrom != "wait4" || u.PeakRSS < 96<<20 {
		t.Errorf("peak %d MiB from %q, want at least 96 MiB, from wait4", u.PeakRSS>>20, u.PeakFrom)
	}
	if u.WallS < 0.3 || u.CPUS() < 0.1 {
		t.Errorf("wall %.3f s, CPU %.3f s: the child spun for 0.3 s", u.WallS, u.CPUS())
	}
}

// A child smaller than the parent: wait4's maxrss would be the
// parent's own peak (Go starts children with vfork), so the peak is the
// child's sampled VmHWM.
func TestMeasureSmallChild(t *testing.T) {
	ballast := make([]byte, 192<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	u := measureChild(t, 16)
	if u.PeakFrom != "sampled" || u.PeakRSS < 16<<20 || u.PeakRSS >= 192<<20 {
		t.Errorf("peak %d MiB from %q, want at least 16 MiB and less than the parent's 192, sampled", u.PeakRSS>>20, u.PeakFrom)
	}
	if ballast[4096] != 1 {
		t.Fatal("ballast lost") // keeps it alive to here
	}
}

func TestMeasureExitStatus(t *testing.T) {
	_, err := proc.Measure(exec.Command("/bin/sh", "-c", "exit 3"))
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("err = %v, want exit status 3", err)
	}
	_, err = proc.Measure(exec.Command("/nonexistent/bin"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v, want no such file", err)
	}
}
