//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU seconds this process has used, user and system,
// its threads and the kernel's io_uring workers in it included.
func cpuTime() float64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t unix.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// systemBusy returns the CPU seconds all CPUs have spent running tasks
// (user, nice and system time) since boot, from /proc/stat; 0 if unknown.
func systemBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy uint64
	for _, s := range f[1:4] { // user, nice, system
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0
		}
		busy += v
	}
	return float64(busy) / 100 // USER_HZ, 100 on every Linux Go runs on
}

// threads returns how many threads the process has, or 0 if unknown.
func threads() int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	return len(ents)
}
