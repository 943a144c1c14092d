package formtest_test

import (
	"testing"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

// Lines must fail on a missing line and on lines out of order, or the
// programs' tests would prove nothing.
func TestLines(t *testing.T) {
	out := "first 1\nsecond 2\nthird 3\n"
	for _, c := range []struct {
		wants []string
		ok    bool
	}{
		{[]string{`^first \d$`, `second`, `third 3`}, true},
		{[]string{`first`, `third`}, true},
		{nil, true},
		{[]string{`second`, `first`}, false},
		{[]string{`fourth`}, false},
		{[]string{`third`, `third`}, false},
	} {
		err := formtest.Lines(out, c.wants...)
		if (err == nil) != c.ok {
			t.Errorf("Lines(%q) = %v, want ok %v", c.wants, err, c.ok)
		}
	}
}
