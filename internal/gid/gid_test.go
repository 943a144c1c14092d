package gid

import (
	"iter"
	"sync"
	"testing"
)

// TestDistinct checks that live goroutines, coroutine bodies included, get
// distinct values, each stable for its goroutine and agreeing with the
// portable goroutine number.
func TestDistinct(t *testing.T) {
	const n = 64
	type pair struct {
		fast, fast2 uintptr
		slow        uint64
	}
	got := make([]pair, n)
	var started, release sync.WaitGroup
	started.Add(n)
	release.Add(1)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			got[i].fast = Current()
			got[i].slow = slow()
			started.Done()
			release.Wait() // keep every goroutine alive while the others look
			got[i].fast2 = Current()
		})
	}
	started.Wait()
	release.Done()
	done.Wait()
	seenFast := map[uintptr]int{}
	seenSlow := map[uint64]int{}
	for i, p := range got {
		if p.fast == 0 {
			t.Fatalf("goroutine %d: Current() = 0", i)
		}
		if p.fast != p.fast2 {
			t.Errorf("goroutine %d: Current changed from %#x to %#x", i, p.fast, p.fast2)
		}
		if j, ok := seenFast[p.fast]; ok {
			t.Errorf("goroutines %d and %d share Current() = %#x", i, j, p.fast)
		}
		if j, ok := seenSlow[p.slow]; ok {
			t.Errorf("goroutines %d and %d share number %d", i, j, p.slow)
		}
		seenFast[p.fast], seenSlow[p.slow] = i, i
	}
	if Current() == got[0].fast {
		t.Error("the test goroutine shares Current() with a live goroutine")
	}
}

// TestCoroutine checks that the body of an iter.Pull coroutine, which the
// fibers of weft run on, is told apart from the goroutine that resumes it.
func TestCoroutine(t *testing.T) {
	outer := Current()
	next, stop := iter.Pull(func(yield func(uintptr) bool) {
		for yield(Current()) {
		}
	})
	defer stop()
	a, _ := next()
	b, _ := next()
	if a == outer {
		t.Fatalf("coroutine body has the caller's identity %#x", a)
	}
	if a != b {
		t.Fatalf("coroutine identity changed between resumptions: %#x, %#x", a, b)
	}
	if Current() != outer {
		t.Fatal("caller's identity changed after resuming a coroutine")
	}
}

func BenchmarkCurrent(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		var x uintptr
		for b.Loop() {
			x ^= Current()
		}
		sink = x
	})
	b.Run("impl=runtime.Stack", func(b *testing.B) {
		var x uint64
		for b.Loop() {
			x ^= slow()
		}
		sink = uintptr(x)
	})
}

var sink uintptr
