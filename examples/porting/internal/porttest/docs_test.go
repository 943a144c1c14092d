package porttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/porting.md quotes the three versions; these tests keep the quotes
// true when the code changes.

const (
	root = "../.." // examples/porting, from this package's directory
	doc  = "../../../../docs/porting.md"
)

var versions = []string{"callbacks", "futures", "fibers"}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unindent drops blank lines and each line's indentation, so that an
// excerpt from inside a function matches however deep it sits.
func unindent(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Every Go block in the page is a verbatim excerpt of one version.
func TestDocQuotesCode(t *testing.T) {
	var sources []string
	for _, v := range versions {
		sources = append(sources, unindent(read(t, filepath.Join(root, v, "main.go"))))
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(read(t, doc), -1)
	if len(blocks) == 0 {
		t.Fatal("no Go blocks in the page")
	}
	for _, b := range blocks {
		quote := unindent(b[1])
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, quote)
		}
		if !found {
			t.Errorf("this excerpt matches none of the versions:\n%s", b[1])
		}
	}
}

// The report the page shows is the golden one.
func TestDocShowsReport(t *testing.T) {
	want := read(t, filepath.Join(root, "testdata", "want.txt"))
	if !strings.Contains(read(t, doc), "```\n"+want+"```") {
		t.Errorf("the page does not show the report of testdata/want.txt:\n%s", want)
	}
}

// The line counts the page gives are the code's.
func TestDocLineCounts(t *testing.T) {
	n := map[string]int{}
	for _, v := range versions {
		src := read(t, filepath.Join(root, v, "main.go"))
		_, flow, ok := strings.Cut(src, "\ntype pricer ")
		if !ok {
			t.Fatalf("%s: no type pricer", v)
		}
		for _, line := range strings.Split(flow, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "//") {
				n[v]++
			}
		}
	}
	claim := fmt.Sprintf("is %d lines of callbacks, %d of futures and %d of fibers", n["callbacks"], n["futures"], n["fibers"])
	if !strings.Contains(strings.Join(strings.Fields(read(t, doc)), " "), claim) {
		t.Errorf("the page should say %q", claim)
	}
}
