package timer

import (
	"math"
	"time"
)

// Deadline returns now+d, saturating at math.MaxInt64 and math.MinInt64
// instead of wrapping around. A wrapped sum would turn a timeout of "forever"
// (say math.MaxInt64 nanoseconds) into a deadline in the past that fires at
// once; saturated, it never fires in practice.
func Deadline(now int64, d time.Duration) int64 {
	s := now + int64(d)
	switch {
	case d > 0 && s < now:
		return math.MaxInt64
	case d < 0 && s > now:
		return math.MinInt64
	}
	return s
}
