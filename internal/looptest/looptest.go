package looptest

import (
	"testing"
	"time"

	"github.com/weftio/weft/loop"
)

// Start makes a loop with opts and runs it on a goroutine until the test
// ends; then it closes the loop and fails the test if Close or Run reported
// an error.
func Start(t testing.TB, opts ...loop.Option) *loop.Loop {
	t.Helper()
	l, err := loop.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run() }()
	// Wait until Run has started: a test that ends before it would have
	// Close win the race, and Run return ErrClosed.
	On(t, l, func() {})
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("loop Close: %v", err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("loop Run: %v", err)
		}
	})
	return l
}

// On runs f on l as a task and waits until it has returned.
func On(t testing.TB, l *loop.Loop, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := l.Post(func() { defer close(done); f() }); err != nil {
		t.Fatal(err)
	}
	<-done
}

// Seed returns fixed, or a new seed if fixed is 0, for a test's random
// choices, and arranges for it to be printed if the test fails, with the
// flag that replays it (flagName, such as "future.seed").
func Seed(t testing.TB, fixed uint64, flagName string) uint64 {
	t.Helper()
	seed := fixed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed %d (replay with -%s=%d)", seed, flagName, seed)
		}
	})
	return seed
}

// WaitLimit bounds, in real time, how long a test waits for something that
// must happen. It is never slept: it only turns a hang into a failure.
const WaitLimit = 20 * time.Second

// Recv receives from ch, failing the test if nothing comes within
// WaitLimit; what names the awaited event in the failure.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(WaitLimit):
		t.Fatalf("%s: nothing within %v", what, WaitLimit)
		panic("unreachable")
	}
}
