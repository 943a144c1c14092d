//go:build unix

package main

import (
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// filesWant is the files step's line: package fs is Linux only.
var filesWant = map[bool]string{
	true:  `files: 16 files of 256 KiB written atomically \(fsync, rename\) by as many fibers and 128 ReadAts checked, on one loop through (io_uring|pool)`,
	false: `files: package fs is Linux only`,
}[runtime.GOOS == "linux"]

func TestTour(t *testing.T) {
	before, _ := os.ReadDir("/proc/self/fd")
	var out strings.Builder
	c := config{timers: 2000, spread: 20 * time.Millisecond, posters: 3, posts: 5000, chain: 100_000, bytes: 1 << 20, futures: 1000, fibers: 1000, files: 16, seed: 42}
	if err := run(&out, c); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		`timers: 2000 fired in deadline order`,
		`post: 3 goroutines posted 15000 tasks; sum 37492500 correct`,
		`microtasks: a chain of 100000`,
		`pipe: 1048576 bytes written and read back intact through \d+ readiness events`,
		`futures: All over 1000 Delay→Then→Map pipelines, values in input order, sum \d+ correct`,
		`a chain of 100000 Thens settled`,
		`Retry succeeded on attempt 3`,
		`Timeout rejected a 1 h Delay after 5 ms`,
		`fibers: 1000 fibers slept, yielded and awaited each other in a chain on one loop; sum 499500 correct`,
		filesWant,
		`loop figures: \d+ turns, \d+ tasks \(15\d\d\d posted\), \d+ microtasks, 3003 timers`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if after, _ := os.ReadDir("/proc/self/fd"); len(after) != len(before) {
		t.Errorf("fds: %d before, %d after", len(before), len(after))
	}
}

func TestTourRejectsBadConfig(t *testing.T) {
	if err := run(&strings.Builder{}, config{timers: -1, spread: time.Second}); err == nil {
		t.Fatal("negative count accepted")
	}
}
