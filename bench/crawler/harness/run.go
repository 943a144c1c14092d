package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/internal/harness"
	"github.com/weftio/weft/bench/internal/proc"
)

// Run is one crawl: one crawler, one site, one process.
type Run struct {
	Round    int    `json:"round"` // 0: a warm-up, not counted
	Scenario string `json:"scenario"`
	Impl     string `json:"impl"`
	Start    string `json:"start"`

	harness.Status
	proc.Usage // wall_s, user_s, sys_s, peak_rss, peak_from, floor

	URLs      int     `json:"urls"`        // URLs a correct crawl fetches: what pages/s counts
	PagesPerS float64 `json:"pages_per_s"` // URLs over WallS
	CPUusPage float64 `json:"cpu_us_per_page"`
	PeakMiB   float64 `json:"peak_mib"`
	ExitCode  int     `json:"exit_code"`

	Lines  int `json:"lines"`       // of its JSON Lines
	Errors int `json:"error_lines"` // lines with an error

	// The server's side of the crawl.
	Requests      int64   `json:"server_requests"`
	MaxInFlight   int64   `json:"server_max_in_flight"`
	Conns         int64   `json:"server_conns"`
	Gzip          int64   `json:"server_gzip_requests"`
	ServerCPUS    float64 `json:"server_cpu_s"`
	ServerUSPage  float64 `json:"server_cpu_us_per_page"`
	StderrSummary string  `json:"stderr,omitempty"` // the crawler's last line on stderr
}

// Key says which run r is.
func (r Run) Key() harness.Key {
	return harness.Key{Scenario: r.Scenario, Impl: r.Impl, Round: r.Round}
}

// config is how crawls are made.
type config struct {
	bin        string
	set        settings
	runTimeout time.Duration
	verbose    bool
	work       string // where crawls write their output
}

// runScenarios starts a site server per scenario, crawls each once with
// each crawler if warmup (a warm-up: printed, not kept), then makes the
// rounds, and stops the servers.
func (cfg config) runScenarios(scs []scenario, impls []string, rounds int, warmup bool) ([]Run, error) {
	work, err := os.MkdirTemp("", "crawler-bench-out")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	cfg.work = work
	sites := map[string]*site{}
	defer func() {
		for _, s := range sites {
			s.stop()
		}
	}()
	wants := map[string][]string{}
	for _, sc := range scs {
		s, err := startSite(filepath.Join(cfg.bin, siteBin), sc, cfg.verbose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		sites[sc.Name] = s
		if wants[sc.Name], err = sc.site().Want(sc.Depth); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "%s: site server at %s, depth %d (the site's %d), %d URLs to fetch\n", sc.Name, s.addr, sc.Depth, sc.SiteDepth, sc.URLs)
	}
	byName := map[string]scenario{}
	for _, sc := range scs {
		byName[sc.Name] = sc
	}
	crawlTurn := func(t harness.Turn[scenario]) Run {
		return cfg.crawl(sites[t.Scenario.Name], t.Scenario, wants[t.Scenario.Name], t.Impl, t.Round)
	}
	if warmup {
		for _, sc := range scs {
			for _, impl := range impls {
				fmt.Fprintf(os.Stderr, "warm-up %s ", label(harness.Turn[scenario]{Scenario: sc, Impl: impl}))
				r := crawlTurn(harness.Turn[scenario]{Scenario: sc, Impl: impl})
				fmt.Fprintln(os.Stderr, brief(r))
				for _, p := range r.Problems {
					fmt.Fprintf(os.Stderr, "      ! %s\n", p)
				}
			}
		}
	}
	turns := harness.Schedule(rounds, scs, func(scenario) []string { return impls })
	return harness.RunAll(turns, crawlTurn, label, brief), nil
}

// args are the command line of impl's crawler: the same settings, under
// the same flag names, for both.
func (cfg config) args(impl string, sc scenario, seed, out string) []string {
	s := cfg.set
	a := []string{
		"-depth", strconv.Itoa(sc.Depth),
		"-concurrency", strconv.Itoa(s.Concurrency),
		"-per-host", strconv.Itoa(s.PerHost),
		"-delay", "0s",
		"-timeout", s.Timeout,
		"-max-body", strconv.Itoa(s.MaxBody),
		"-scope", "host",
		"-robots=true",
		"-user-agent", s.UserAgent,
		"-out", out,
	}
	if impl == "weft" {
		a = append(a, "-max-pages", "0", "-progress=false")
	}
	return append(a, seed)
}

// binOf is impl's binary.
func binOf(impl string) string {
	if impl == "weft" {
		return weftBin
	}
	return collyBin
}

// crawl makes one crawl of sc's site s with impl and checks it.
func (cfg config) crawl(s *site, sc scenario, want []string, impl string, round int) (r Run) {
	r = Run{Round: round, Scenario: sc.Name, Impl: impl, Start: time.Now().UTC().Format(time.RFC3339), URLs: len(want)}
	if _, err := s.counters(); err != nil { // a reset
		r.Fail("the site's counters: %v", err)
		return r
	}
	out := filepath.Join(cfg.work, impl+".jsonl")
	usage := filepath.Join(cfg.work, impl+".usage.json")
	defer os.Remove(out)
	defer os.Remove(usage)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.runTimeout)
	defer cancel()
	args := append([]string{"-o", usage, "--", filepath.Join(cfg.bin, binOf(impl))}, cfg.args(impl, sc, "http://"+s.addr+"/", out)...)
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.bin, launchBin), args...)
	killGroup(cmd) // the crawler with its launcher, on a timeout
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cfg.verbose && stderr.Len() > 0 {
		fmt.Fprintf(os.Stderr, "\n    %s: %s\n", impl, strings.ReplaceAll(strings.TrimSpace(stderr.String()), "\n", "\n    "))
	}
	r.StderrSummary = lastLine(stderr.String())
	if ctx.Err() == nil {
		if b, uerr := os.ReadFile(usage); uerr != nil {
			err = errors.Join(err, fmt.Errorf("the launcher's usage: %w", uerr))
		} else if uerr := json.Unmarshal(b, &r.Usage); uerr != nil {
			err = errors.Join(err, fmt.Errorf("the launcher's usage: %w", uerr))
		}
	}
	u := r.Usage
	st, serr := s.counters()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.Fail("killed after %v; stderr: %q", cfg.runTimeout, harness.Tail(stderr.String()))
		return r
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
		r.Fail("exited with status %d (125: the launcher failed); stderr: %q", r.ExitCode, harness.Tail(stderr.String()))
		return r
	case err != nil:
		r.Fail("%v", err)
		return r
	case serr != nil:
		r.Fail("the site's counters: %v", serr)
		return r
	}
	r.PagesPerS = float64(r.URLs) / u.WallS
	r.CPUusPage = u.CPUS() * 1e6 / float64(r.URLs)
	r.PeakMiB = float64(u.PeakRSS) / (1 << 20)
	r.Requests, r.MaxInFlight, r.Conns, r.Gzip = st.Requests, st.MaxInFlight, st.Conns, st.Gzip
	r.ServerCPUS = st.CPUS
	r.ServerUSPage = st.CPUS * 1e6 / float64(r.URLs)
	judge(&r, out, s.addr, want, st, cfg.set)
	return r
}

// judge checks a crawl that exited 0 from both sides, the output file
// out and the server's counts st, and fails r if it did not fetch
// exactly want, each once, within the settings set.
func judge(r *Run, out, host string, want []string, st crawl.Stats, set settings) {
	f, err := os.Open(out)
	if err != nil {
		r.Fail("the crawl's output: %v", err)
		return
	}
	res, err := crawl.Check(f, host, want, st)
	f.Close()
	if err != nil {
		r.Fail("the crawl's output: %v", err)
		return
	}
	r.Lines, r.Errors = res.Lines, res.Errors
	if !res.OK() {
		r.Fail("its output: %s", res)
	}
	if v := st.Served(want); !v.OK() {
		r.Fail("the server: %s", v)
	}
	if st.MaxInFlight > int64(set.Concurrency) {
		r.Fail("the server had %d requests in flight at once, over -concurrency %d", st.MaxInFlight, set.Concurrency)
	}
	for agent, n := range st.UserAgents {
		if agent != set.UserAgent {
			r.Fail("%d requests came with User-Agent %q, not %q", n, agent, set.UserAgent)
		}
	}
	if r.PeakFrom != "wait4" {
		r.Fail("peak RSS %s MiB from %q, not wait4: not above the launcher's own %s MiB", harness.F1(r.PeakMiB), r.PeakFrom, harness.F1(float64(r.Floor)/(1<<20)))
	}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// label names a run in the progress output.
func label(t harness.Turn[scenario]) string {
	return fmt.Sprintf("%-10s %-6s", t.Scenario.Name, t.Impl)
}

// brief is one line about a run, for the progress output.
func brief(r Run) string {
	if r.Failed && r.WallS == 0 {
		return "FAILED"
	}
	s := fmt.Sprintf("%7.0f pages/s  %6.2f s  peak %6.1f MiB  %6.1f CPU µs/page  server: %d requests, %d conns, %d in flight at most",
		r.PagesPerS, r.WallS, r.PeakMiB, r.CPUusPage, r.Requests, r.Conns, r.MaxInFlight)
	if r.Failed {
		s += "  FAILED"
	}
	return s
}
