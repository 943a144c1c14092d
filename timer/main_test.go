package timer_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The queue starts no goroutines, but the time.AfterFunc baselines in
// bench_test.go do; goleak makes sure they are all gone.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
