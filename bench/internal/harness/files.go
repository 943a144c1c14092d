package harness

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

// Files are what a harness reads and writes besides its runs: the
// figures of every run as JSON, the markdown report and its charts.
type Files struct {
	From   string // a JSON of Raw's to write the report from, instead of running
	Raw    string // where to write the figures of every run as JSON; "" nowhere
	MD     string // the markdown report; "" prints it to stdout
	Img    string // the charts' directory; "" draws none
	ImgRef string // the charts' directory as the markdown refers to it
}

// FileFlags defines -from, -raw, -md, -img and -img-ref on the command
// line's flags, md being -md's default, and returns the Files they set
// once flag.Parse has run.
func FileFlags(md string) *Files {
	f := &Files{}
	flag.StringVar(&f.MD, "md", md, "the markdown report to write (empty: none)")
	flag.StringVar(&f.Img, "img", "docs/img", "directory for the charts (empty: none)")
	flag.StringVar(&f.ImgRef, "img-ref", "img", "the charts' directory as the markdown refers to it")
	flag.StringVar(&f.Raw, "raw", "", "write every run's figures here as JSON")
	flag.StringVar(&f.From, "from", "", "write the report from this JSON (a -raw of an earlier run) instead of running")
	return f
}

// Load reads the results of an earlier run from f.From into res.
func (f *Files) Load(res any) error {
	b, err := os.ReadFile(f.From)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, res)
}

// Save writes res, indented, to f.Raw, if it is set.
func (f *Files) Save(res any) error {
	if f.Raw == "" {
		return nil
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(f.Raw, b, 0o644)
}

// Report is a harness's report, analysed, as Files.Write writes it.
type Report interface {
	// Charts draws the charts into dir.
	Charts(dir string) error
	// Markdown is the report, its charts in imgRef if withCharts.
	Markdown(imgRef string, withCharts bool) string
	// Summary is the results in short, for the terminal.
	Summary() string
}

// Write draws rep's charts into f.Img (if it is set), writes its
// markdown to f.MD (or stdout, if that is not set) and says so on
// stderr, then prints its summary to stderr.
func (f *Files) Write(rep Report) error {
	if f.Img != "" {
		if err := os.MkdirAll(f.Img, 0o755); err != nil {
			return err
		}
		if err := rep.Charts(f.Img); err != nil {
			return fmt.Errorf("charts: %w", err)
		}
	}
	text := rep.Markdown(f.ImgRef, f.Img != "")
	if f.MD != "" {
		if err := os.WriteFile(f.MD, []byte(text), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", f.MD)
	} else {
		fmt.Print(text)
	}
	fmt.Fprint(os.Stderr, rep.Summary())
	return nil
}
