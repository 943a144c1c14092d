package proc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// maxRSS is the maxrss of ps's rusage in bytes (Linux counts KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

// selfPeak is this process's VmHWM in bytes, or 0 if it cannot tell.
func selfPeak() int64 { return vmHWM("/proc/self/status") }

// vmHWM reads the VmHWM line of a /proc status file, in bytes; 0 if there
// is none (the process has exited, or is a zombie).
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line) // "1234", "kB"
	if len(f) == 0 {
		return 0
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

// samplePeak reads pid's VmHWM every d on a goroutine of its own until
// stop is called, and stop returns only once that goroutine has; *peak is
// then the highest reading.
func samplePeak(pid int, d time.Duration) (stop func(), peak *int64) {
	peak = new(int64)
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			if v := vmHWM(path); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-exited }, peak
}
