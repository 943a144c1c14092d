package poller_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// hintEnv makes the suite's pollers block their thread under BlockHint.
const hintEnv = "WEFT_POLLER_TEST_HINT"

// TestMain runs the suite, checks for leaked goroutines and, on Linux, runs
// the whole suite twice more in child processes: with parking disabled
// (WEFT_POLLER_PARK=0) and with parked pollers told to block (BlockHint),
// so that every way the epoll back-end waits — parked in Go's netpoller,
// blocked in epoll_wait with an eventfd for Wake, and blocked in park mode
// with the timerfd for Wake — keeps the contract.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	if code == 0 && runtime.GOOS == "linux" && os.Getenv("WEFT_POLLER_PARK") == "" && os.Getenv(hintEnv) == "" {
		for _, env := range []string{"WEFT_POLLER_PARK=0", hintEnv + "=1"} {
			fmt.Printf("=== poller suite again with %s\n", env)
			child := exec.Command(os.Args[0], os.Args[1:]...)
			child.Env = append(os.Environ(), env)
			child.Stdout, child.Stderr = os.Stdout, os.Stderr
			if err := child.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "poller suite with %s: %v\n", env, err)
				code = 1
			}
		}
	}
	os.Exit(code)
}
