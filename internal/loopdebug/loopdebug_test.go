package loopdebug

import (
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestStdlib(t *testing.T) {
	for fn, want := range map[string]bool{
		"bufio.(*Reader).Read":                true,
		"net/http.ReadRequest":                true,
		"crypto/tls.(*Conn).Read":             true,
		"runtime.goexit":                      true,
		"main.main":                           false,
		"main.handler.func1":                  false,
		"github.com/x/y.F":                    false,
		"example.com/app/internal/store.Load": false,
	} {
		if got := stdlib(fn); got != want {
			t.Errorf("stdlib(%q) = %v, want %v", fn, got, want)
		}
	}
}

func TestWeftRuntime(t *testing.T) {
	for _, tc := range []struct {
		fn, file string
		want     bool
	}{
		{"github.com/weftio/weft/fiber.Go[...]", "/w/fiber/fiber.go", true},
		{"github.com/weftio/weft/future.New[...]", "/w/future/future.go", true},
		{"github.com/weftio/weft/internal/offload.Do", "/w/internal/offload/do.go", true},
		{"github.com/weftio/weft/examples/proxy.(*proxy).serve", "/w/examples/proxy/proxy.go", false},
		{"github.com/weftio/weft/fiber.TestX", "/w/fiber/x_test.go", false}, // tests are users
		{"main.main", "/app/main.go", false},
	} {
		if got := weftRuntime(runtime.Frame{Function: tc.fn, File: tc.file}); got != tc.want {
			t.Errorf("weftRuntime(%s) = %v, want %v", tc.fn, got, tc.want)
		}
	}
}

//go:noinline
func recordHere() *Site { return Callers(0, MadeDepth) }

func TestSite(t *testing.T) {
	var empty *Site
	if !empty.Empty() || empty.String() != "" {
		t.Error("a nil Site is not empty")
	}
	s := recordHere()
	// The first frame outside weft's runtime and the standard library is
	// this test, which called recordHere (a test file counts as a user).
	if got := s.String(); !strings.Contains(got, "loopdebug_test.go:") || !strings.Contains(got, "(github.com/weftio/weft/internal/loopdebug.TestSite)") {
		t.Errorf("Site = %q, want this test's call", got)
	}
	if s.Empty() {
		t.Error("a recorded Site is empty")
	}
}

func TestWatch(t *testing.T) {
	var w Watch
	w.Beat(Task)
	w.Beat(Timer)
	if seq, k := w.Read(); seq != 2 || k != Timer {
		t.Errorf("Read = %d, %v; want 2, timer callback", seq, k)
	}
	r := &Runner{Fiber: 3, Entry: 0}
	w.SetRunner(r)
	if seq, k := w.Read(); seq != 3 || k != Fiber || w.Runner() != r {
		t.Errorf("after SetRunner: %d, %v, %v", seq, k, w.Runner())
	}
	w.SetRunner(nil)
	if _, k := w.Read(); k != Idle || w.Runner() != nil {
		t.Errorf("after SetRunner(nil): %v, %v", k, w.Runner())
	}
	w.AddGoroutine(0x1234, 42)
	if n, ok := w.Goroutine(0x1234); !ok || n != 42 {
		t.Errorf("Goroutine = %d, %v", n, ok)
	}
	if _, ok := w.Goroutine(0x9999); ok {
		t.Error("an unknown goroutine was found")
	}
	if Kind(200).String() != "kind(200)" || Microtasks.String() != "microtask drain" {
		t.Error("Kind names")
	}
	if got := r.String(); !strings.HasPrefix(got, "fiber 3 (") {
		t.Errorf("Runner.String() = %q", got)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
