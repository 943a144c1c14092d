//go:build !linux

package harness

// describe leaves m unknown: only Linux is described.
func describe(m *Machine) {}

// LoadAvg returns the 1-minute load average, or -1 if it cannot tell:
// on this system, always -1.
func LoadAvg() float64 { return -1 }
