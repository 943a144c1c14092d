package formtest

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/weftio/weft/internal/fdtest"
)

// Run calls run with a buffer, fails t if it returns an error or if the
// process holds more fds once the test is over than before the call, and
// returns what run printed.
func Run(t *testing.T, run func(w io.Writer) error) string {
	t.Helper()
	fdtest.Check(t)
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
	}
	return out.String()
}

// InOrder fails t unless out has, for each regular expression in wants, a
// line that it matches, each line after the one the previous expression
// matched.
func InOrder(t *testing.T, out string, wants ...string) {
	t.Helper()
	if err := Lines(out, wants...); err != nil {
		t.Errorf("%v; the output:\n%s", err, out)
	}
}

// Lines is InOrder's check: nil if out has the lines wants match, in that
// order, else an error naming the first expression left unmatched.
func Lines(out string, wants ...string) error {
	lines := strings.Split(out, "\n")
	i := 0
	for _, want := range wants {
		re := regexp.MustCompile(want)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			return fmt.Errorf("no line matches %q after the lines matched before it", want)
		}
		i++
	}
	return nil
}
