package fdtest_test

import (
	"os"
	"testing"

	"github.com/weftio/weft/internal/fdtest"
)

// TestCount sees a pipe's two fds come and go.
func TestCount(t *testing.T) {
	before := fdtest.Count(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if got := fdtest.Count(t); got != before+2 {
		t.Fatalf("%d fds with a pipe open, %d before", got, before)
	}
	r.Close()
	w.Close()
	if got := fdtest.Count(t); got != before {
		t.Fatalf("%d fds after closing the pipe, %d before", got, before)
	}
}
