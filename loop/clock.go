package loop

import (
	"sync/atomic"
	"time"
)

// clock is the loop's time source: nanoseconds since the loop was made,
// either real (monotonic) or virtual. Virtual time moves only when the loop
// has nothing to do but wait for a timer; then it jumps to that timer's
// deadline, so a test of a one-hour timeout takes microseconds and fires
// timers in exactly the order of their deadlines.
type clock struct {
	start   time.Time
	virtual bool
	vnow    atomic.Int64 // virtual now; atomic so Now is safe off the loop
}

func (c *clock) init(virtual bool, start time.Time) {
	c.virtual = virtual
	if start.IsZero() {
		start = time.Now()
	}
	c.start = start
}

func (c *clock) now() int64 {
	if c.virtual {
		return c.vnow.Load()
	}
	return int64(time.Since(c.start))
}

// advanceTo moves virtual time forward to t; it never moves backwards.
func (c *clock) advanceTo(t int64) {
	if t > c.vnow.Load() {
		c.vnow.Store(t)
	}
}
