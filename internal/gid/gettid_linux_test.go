package gid

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkCurrentGettid is the alternative docs/loop.md rejected for
// telling the loop's goroutine apart: the thread id, which only identifies
// a goroutine locked to its thread, and costs a system call.
func BenchmarkCurrentGettid(b *testing.B) {
	var x int
	for b.Loop() {
		x ^= unix.Gettid()
	}
	sink = uintptr(x)
}
