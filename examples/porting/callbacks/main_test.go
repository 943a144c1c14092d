package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/porting/internal/porttest"
)

// No goroutine may outlive run: not the loop's, not a file read's.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReport holds this version to the report all three must print.
func TestReport(t *testing.T) { porttest.Check(t, run) }
