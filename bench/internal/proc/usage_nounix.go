//go:build !unix

package proc

import (
	"os"
	"time"
)

// maxRSS is 0: only Unix systems report it.
func maxRSS(ps *os.ProcessState) int64 { return 0 }

// selfPeak is 0: only Linux needs the floor (see Measure).
func selfPeak() int64 { return 0 }

// samplePeak samples nothing: there is no /proc to read.
func samplePeak(pid int, d time.Duration) (stop func(), peak *int64) {
	return func() {}, new(int64)
}
