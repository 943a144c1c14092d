package loopdebug

import (
	"fmt"
	"testing"
)

// BenchmarkSite_Record: the cost of recording a site of each depth weft
// uses (and the most it keeps), from a stack deep enough to fill it:
// what debug mode adds to a spawn, a park or a future made.
func BenchmarkSite_Record(b *testing.B) {
	for _, depth := range []int{1, MadeDepth, WaitDepth, MaxDepth} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			var s Site
			deep(20, func() {
				for b.Loop() {
					s.Record(0, depth)
				}
			})
			if s.Empty() {
				b.Fatal("recorded nothing")
			}
		})
	}
}

// deep calls f n frames down.
//
//go:noinline
func deep(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	deep(n-1, f)
}
