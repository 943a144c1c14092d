package formtest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/forms-of-io.md quotes the programs and their output; these tests
// keep the quotes true when the programs change, and keep every program
// in the page and in the test suite.

const (
	forms = "../.." // examples/forms, from this package's directory
	doc   = "../../../../docs/forms-of-io.md"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// programs lists the program directories of examples/forms.
func programs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(forms)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "internal" {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("only %d programs in %s", len(dirs), forms)
	}
	return dirs
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

func blocks(t *testing.T, lang string) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(read(t, doc), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no %s blocks in the page", lang)
	}
	return out
}

// Every program is in the page and has a test that runs it.
func TestEveryProgramInDocAndTests(t *testing.T) {
	page := read(t, doc)
	for _, dir := range programs(t) {
		if !strings.Contains(page, "(../examples/forms/"+dir+"/main.go)") {
			t.Errorf("docs/forms-of-io.md does not link examples/forms/%s/main.go", dir)
		}
		if _, err := os.Stat(filepath.Join(forms, dir, "main_test.go")); err != nil {
			t.Errorf("examples/forms/%s has no main_test.go: %v", dir, err)
		}
	}
}

// Every Go block in the page is a verbatim excerpt of a program.
func TestDocQuotesCode(t *testing.T) {
	var sources []string
	for _, dir := range programs(t) {
		files, _ := filepath.Glob(filepath.Join(forms, dir, "*.go"))
		for _, f := range files {
			sources = append(sources, unindent(read(t, f)))
		}
	}
	for _, b := range blocks(t, "go") {
		quote := unindent(b)
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, quote)
		}
		if !found {
			t.Errorf("this excerpt matches none of the programs:\n%s", b)
		}
	}
}

// Every output block in the page is what a program's Example prints.
func TestDocQuotesOutput(t *testing.T) {
	var outputs []string
	for _, dir := range programs(t) {
		files, _ := filepath.Glob(filepath.Join(forms, dir, "*_test.go"))
		for _, f := range files {
			for _, m := range regexp.MustCompile(`(?s)// Output:\n((?:\s*//[^\n]*\n)+)`).FindAllStringSubmatch(read(t, f), -1) {
				var lines []string
				for _, l := range strings.Split(strings.TrimRight(m[1], "\n"), "\n") {
					l = strings.TrimSpace(l)
					l = strings.TrimPrefix(strings.TrimPrefix(l, "//"), " ")
					lines = append(lines, l)
				}
				outputs = append(outputs, strings.Join(lines, "\n"))
			}
		}
	}
	for _, b := range blocks(t, "text") {
		quote := strings.TrimRight(b, "\n")
		found := false
		for _, out := range outputs {
			// Example output is compared with its spaces trimmed, and so
			// is the quote's.
			found = found || strings.Contains(out, unindent(quote)) || strings.Contains(out, quote)
		}
		if !found {
			t.Errorf("this output is no Example's:\n%s", b)
		}
	}
}

// The page keeps the section the benchmark harness writes.
func TestDocHasBenchSection(t *testing.T) {
	page := read(t, doc)
	begin := strings.Index(page, "<!-- forms-bench:begin")
	end := strings.Index(page, "<!-- forms-bench:end -->")
	if begin < 0 || end < begin {
		t.Fatal("docs/forms-of-io.md lacks the forms-bench:begin … forms-bench:end section bench/forms/harness writes")
	}
}
