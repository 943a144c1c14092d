//go:build !amd64 && !arm64

package gid

// Current identifies the calling goroutine among the live ones; see the
// package documentation. It never returns 0.
func Current() uintptr { return uintptr(slow()) }

// fast reports whether Current is the two-instruction version.
const fast = false
