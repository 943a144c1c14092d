//go:build linux

package fs

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
