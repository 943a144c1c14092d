package poller_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the suite, checks for leaked goroutines and, on Linux, runs
// the whole suite a second time in a child process with parking disabled
// (WEFT_POLLER_PARK=0), so that both ways the epoll back-end waits — parked
// in Go's netpoller, and blocked in epoll_wait with an eventfd for Wake —
// keep the contract.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	if code == 0 && runtime.GOOS == "linux" && os.Getenv("WEFT_POLLER_PARK") == "" {
		fmt.Println("=== poller suite again with WEFT_POLLER_PARK=0 (blocking epoll_wait, eventfd wake-up)")
		child := exec.Command(os.Args[0], os.Args[1:]...)
		child.Env = append(os.Environ(), "WEFT_POLLER_PARK=0")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "poller suite with WEFT_POLLER_PARK=0: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
