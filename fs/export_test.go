//go:build linux

package fs

import "github.com/weftio/weft/internal/uring"

// RingAvailable reports whether io_uring can be used here.
func RingAvailable() error { return ringAvailable() }

// SetRingAvailable replaces the io_uring probe, for tests of the choice;
// it returns a function that restores it.
func SetRingAvailable(f func() error) (restore func()) {
	old := ringAvailable
	ringAvailable = f
	return func() { ringAvailable = old }
}

// Live returns how many operations l's back-end has in flight or waiting.
func (f *File) Live() int { return len(f.ops) }

// FailSubmits makes the next n submissions to any ring fail with err; it
// returns a function that restores the real ones.
func FailSubmits(n int, err error) (restore func()) {
	old := ringSubmit
	ringSubmit = func(r *uring.Ring) (int, error) {
		if n > 0 {
			n--
			return 0, err
		}
		return old(r)
	}
	return func() { ringSubmit = old }
}
