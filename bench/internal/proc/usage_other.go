//go:build unix && !linux

package proc

import (
	"os"
	"syscall"
	"time"
)

// maxRSS is the maxrss of ps's rusage in bytes: macOS counts bytes, the
// BSDs KiB.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if rssInBytes {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}

// selfPeak is 0: only Linux needs the floor (see Measure).
func selfPeak() int64 { return 0 }

// samplePeak samples nothing: there is no /proc to read.
func samplePeak(pid int, d time.Duration) (stop func(), peak *int64) {
	return func() {}, new(int64)
}
