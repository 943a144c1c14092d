package simtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: a loop, a
// fiber's coroutine, a context watcher.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
