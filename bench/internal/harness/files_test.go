package harness_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/weftio/weft/bench/internal/harness"
)

// report is a harness's report that writes what Files.Write asks of it.
type report struct{ chartsIn string }

func (r *report) Charts(dir string) error {
	r.chartsIn = dir
	return nil
}

func (r *report) Markdown(imgRef string, withCharts bool) string {
	if withCharts {
		return "# R\n\n![c](" + imgRef + "/c.png)\n"
	}
	return "# R\n"
}

func (r *report) Summary() string { return "" }

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	f := &harness.Files{Raw: filepath.Join(dir, "raw.json"), MD: filepath.Join(dir, "r.md"), Img: filepath.Join(dir, "img"), ImgRef: "img"}
	type results struct {
		Runs []run `json:"runs"`
	}
	in := results{Runs: []run{{Scenario: "a", Impl: "x", Round: 1, Value: 1.5}}}
	in.Runs[0].Fail("no result")
	if err := f.Save(in); err != nil {
		t.Fatal(err)
	}
	var out results
	f.From = f.Raw
	if err := f.Load(&out); err != nil {
		t.Fatal(err)
	}
	if r := out.Runs[0]; len(out.Runs) != 1 || r.Value != 1.5 || !r.Failed || r.Problems[0] != "no result" {
		t.Fatalf("loaded %+v, saved %+v", out, in)
	}

	stderr := os.Stderr
	os.Stderr, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer func() { os.Stderr = stderr }()
	rep := &report{}
	if err := f.Write(rep); err != nil {
		t.Fatal(err)
	}
	if rep.chartsIn != f.Img {
		t.Errorf("charts drawn in %q, want %q", rep.chartsIn, f.Img)
	}
	if fi, err := os.Stat(f.Img); err != nil || !fi.IsDir() {
		t.Errorf("no directory %s: %v", f.Img, err)
	}
	if md, err := os.ReadFile(f.MD); err != nil || string(md) != "# R\n\n![c](img/c.png)\n" {
		t.Errorf("markdown %q, %v", md, err)
	}
}
