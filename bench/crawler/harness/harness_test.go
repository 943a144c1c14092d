package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/internal/proc"
)

var testSet = settings{Concurrency: 64, PerHost: 64, Timeout: "10s", MaxBody: 1 << 20, UserAgent: "ua/1"}

// Both crawlers get the same settings under the same flag names; weft's
// own extra flags change nothing the colly crawler does.
func TestArgsSame(t *testing.T) {
	cfg := config{set: testSet}
	sc := scenario{Depth: 9}
	w := cfg.args("weft", sc, "http://x/", "o")
	c := cfg.args("colly", sc, "http://x/", "o")
	if w[len(w)-1] != "http://x/" || c[len(c)-1] != "http://x/" {
		t.Fatalf("the seed is not last: %q, %q", w, c)
	}
	flags := func(a []string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(a)-1; i++ {
			if k, v, ok := strings.Cut(a[i], "="); ok {
				m[k] = v
			} else {
				m[a[i]] = a[i+1]
				i++
			}
		}
		return m
	}
	fw, fc := flags(w), flags(c)
	for k, v := range fc {
		if fw[k] != v {
			t.Errorf("%s: weft %q, colly %q", k, fw[k], v)
		}
	}
	for k, v := range fw {
		if _, ok := fc[k]; !ok && !(k == "-max-pages" && v == "0" || k == "-progress" && v == "false") {
			t.Errorf("weft alone gets %s %s", k, v)
		}
	}
	for k, v := range map[string]string{"-depth": "9", "-concurrency": "64", "-per-host": "64", "-robots": "true", "-user-agent": "ua/1", "-delay": "0s", "-scope": "host"} {
		if fc[k] != v {
			t.Errorf("%s = %q, want %q", k, fc[k], v)
		}
	}
}

func TestNewScenario(t *testing.T) {
	sc, err := newScenario(150, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := sc.site().Want(sc.SiteDepth)
	if sc.Depth != 2*sc.SiteDepth || sc.URLs != len(all) || sc.URLs <= 150 {
		t.Errorf("%+v: want depth twice the site's and %d URLs", sc, len(all))
	}
	if sc, _ := newScenario(150, 2, 0, 3); sc.Depth != 3 {
		t.Errorf("-depth 3 gave depth %d", sc.Depth)
	}
}

// judge fails a crawl for each way it can be wrong, and passes a right
// one.
func TestJudge(t *testing.T) {
	want := []string{"/", "/a", "/robots.txt"}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	lines := `{"url":"http://h/","final_url":"http://h/","status":200}` + "\n" + `{"url":"http://h/a","final_url":"http://h/a","status":200}` + "\n"
	if err := os.WriteFile(out, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	good := func() crawl.Stats {
		return crawl.Stats{MaxInFlight: 64, Hits: map[string]int{"/": 1, "/a": 1, "/robots.txt": 1},
			Status: map[string]int{"/": 200, "/a": 200, "/robots.txt": 200}, UserAgents: map[string]int{"ua/1": 3}}
	}
	judged := func(st crawl.Stats, from string) Run {
		r := Run{Usage: proc.Usage{PeakFrom: from}}
		judge(&r, out, "h", want, st, testSet)
		return r
	}
	if r := judged(good(), "wait4"); r.Failed || len(r.Problems) > 0 || r.Lines != 2 {
		t.Errorf("a right crawl: %+v", r)
	}
	for name, tc := range map[string]struct {
		st   func(*crawl.Stats)
		from string
		says string
	}{
		"too many in flight": {func(st *crawl.Stats) { st.MaxInFlight = 65 }, "wait4", "65 requests in flight"},
		"user agent":         {func(st *crawl.Stats) { st.UserAgents["Go-http-client/1.1"] = 1 }, "wait4", `User-Agent "Go-http-client/1.1"`},
		"twice":              {func(st *crawl.Stats) { st.Hits["/a"] = 2 }, "wait4", "requested more than once (/a)"},
		"server extra":       {func(st *crawl.Stats) { st.Hits["/trap"] = 1 }, "wait4", "does not fetch (/trap)"},
		"peak not wait4":     {func(*crawl.Stats) {}, "sampled", "not wait4"},
	} {
		st := good()
		tc.st(&st)
		r := judged(st, tc.from)
		if !r.Failed || !strings.Contains(strings.Join(r.Problems, "; "), tc.says) {
			t.Errorf("%s: failed %v, problems %q; want one saying %q", name, r.Failed, r.Problems, tc.says)
		}
	}
	os.WriteFile(out, []byte(lines[:strings.IndexByte(lines, '\n')+1]), 0o644) // /a's line gone
	if r := judged(good(), "wait4"); !r.Failed || !strings.Contains(r.Problems[0], "missing from the output (/a)") {
		t.Errorf("a line missing: %+v", r)
	}
}

// The targets: on the medians, and round by round.
func TestTargets(t *testing.T) {
	sc := scenario{Name: "s", Pages: 10, URLs: 20}
	mk := func(round int, impl string, pps, mib float64) Run {
		return Run{Round: round, Scenario: "s", Impl: impl, PagesPerS: pps, PeakMiB: mib}
	}
	runs := []Run{
		mk(1, "weft", 300, 10), mk(1, "colly", 100, 20), // 3×, less memory
		mk(2, "weft", 210, 30), mk(2, "colly", 150, 20), // 1.4×, more memory
		mk(3, "colly", 100, 20), mk(3, "weft", 200, 10), // 2×
	}
	failed := mk(4, "weft", 1e6, 1)
	failed.Fail("wrong pages")
	runs = append(runs, failed, mk(4, "colly", 100, 20))
	rep := analyse(results{Meta: meta{Rounds: 4, Impls: allImpls, Scenarios: []scenario{sc}}, Runs: runs})
	tg := rep.Targets[0]
	// Medians: weft 210 pages/s and 10 MiB, colly 100 and 20.
	if tg.Speedup != 2.1 || tg.Memory != 0.5 || tg.Met != "**yes**" {
		t.Errorf("medians: %+v", tg)
	}
	if tg.SpeedRounds != "2 of 3" || tg.MemRounds != "2 of 3" || tg.BothRounds != "2 of 3" {
		t.Errorf("rounds: speed %s, memory %s, both %s; want 2 of 3 each (round 4's weft failed)", tg.SpeedRounds, tg.MemRounds, tg.BothRounds)
	}
	if s := rep.Sections[0].ByImpl["weft"]; s.OK != 3 || s.Total != 4 {
		t.Errorf("weft runs ok %d of %d, want 3 of 4", s.OK, s.Total)
	}
	md := rep.Markdown("img", false)
	for _, s := range []string{
		"| s | 2.10× | **yes** | 0.50× | **yes** | **yes** | 2 of 3, 2 of 3, 2 of 3 | 3.00× 1.40× 2.00× |",
		"- round 4, s, weft: wrong pages (run failed, not counted)",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("the report lacks %q", s)
		}
	}
	slow := analyse(results{Meta: meta{Rounds: 1, Impls: allImpls, Scenarios: []scenario{sc}}, Runs: []Run{mk(1, "weft", 140, 10), mk(1, "colly", 100, 20)}})
	if tg := slow.Targets[0]; tg.SpeedMet != "**no**" || tg.Met != "**no**" || tg.MemMet != "**yes**" {
		t.Errorf("1.4×: %+v", tg)
	}
	none := analyse(results{Meta: meta{Rounds: 1, Impls: allImpls, Scenarios: []scenario{sc}}, Runs: []Run{mk(1, "colly", 100, 20)}})
	if tg := none.Targets[0]; tg.Met != "n/a" || tg.SpeedRounds != "0 of 0" {
		t.Errorf("no weft run: %+v", tg)
	}
}

func TestChart(t *testing.T) {
	sc := scenario{Name: "s", Pages: 10, URLs: 20}
	rep := analyse(results{Meta: meta{Rounds: 1, Impls: allImpls, Scenarios: []scenario{sc}}, Runs: []Run{
		{Round: 1, Scenario: "s", Impl: "weft", PagesPerS: 300, PeakMiB: 10, CPUusPage: 100},
		{Round: 1, Scenario: "s", Impl: "colly", PagesPerS: 100, PeakMiB: 20, CPUusPage: 400},
	}})
	dir := t.TempDir()
	if err := rep.Charts(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, chartFile))
	if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
		t.Errorf("%s: %d bytes, %v", chartFile, len(b), err)
	}
	if files := chartFiles(); len(files) != 1 || files[0].File != chartFile {
		t.Errorf("chartFiles: %v", files)
	}
}
