package loop

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/weftio/weft/internal/debugbuild"
)

// LagBuckets is the number of buckets of Stats.LagHist.
const LagBuckets = 24

// LagBound returns the upper bound of bucket i of Stats.LagHist: bucket 0
// counts lags under 1 µs, bucket i lags in [LagBound(i-1), LagBound(i)),
// powers of two of microseconds, and the last bucket, whose bound is the
// largest Duration, the lags of 2^22 µs (4.2 s) and more.
func LagBound(i int) time.Duration {
	if i >= LagBuckets-1 {
		return math.MaxInt64
	}
	return time.Microsecond << i
}

// lagHist is the histogram of a loop's lag, written by the loop and read
// by Stats from any goroutine.
type lagHist struct {
	n   [LagBuckets]atomic.Uint64
	sum atomic.Int64 // nanoseconds
}

// record adds a lag of d nanoseconds, once per turn that fires timers.
// Only the loop writes, so a load and a store do (no locked add); readers
// still see whole values.
func (h *lagHist) record(d int64) {
	i := min(bits.Len64(uint64(d)/uint64(time.Microsecond)), LagBuckets-1)
	h.n[i].Store(h.n[i].Load() + 1)
	h.sum.Store(h.sum.Load() + d)
}

// debugStats fills in the figures of s that belong to the debugging aids.
func (l *Loop) debugStats(s *Stats) {
	if !debugbuild.Enabled {
		return
	}
	h := &l.debug.lag
	for i := range s.LagHist {
		s.LagHist[i] = h.n[i].Load()
	}
	s.LagSum = time.Duration(h.sum.Load())
	if w := l.debug.watch; w != nil {
		s.Stalls = w.Stalls.Load()
	}
}
