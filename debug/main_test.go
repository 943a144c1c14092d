package debug_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine is left behind: a loop, a
// watchdog, a fiber's coroutine, the SIGQUIT handler's goroutine.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// here returns "/file.go:N " for the line after the one that called it,
// as a site ("file:line (function)") names it.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("/%s:%d ", file[strings.LastIndexByte(file, '/')+1:], line+1)
}

// inChildWithoutDebug runs the calling test again in a child process
// with WEFT_DEBUG=0 and reports true if it did, when WEFT_DEBUG=1 puts
// every loop of this process in debug mode: for the tests of what a loop
// shows without it.
func inChildWithoutDebug(t *testing.T) bool {
	t.Helper()
	if os.Getenv("WEFT_DEBUG") != "1" {
		return false
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEFT_DEBUG=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s without WEFT_DEBUG, in a child process: %v\n%s", t.Name(), err, out)
	}
	return true
}
