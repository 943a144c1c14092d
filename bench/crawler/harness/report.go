package main

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/weftio/weft/bench/internal/harness"
)

// metrics are the figures a run yields.
var metrics = harness.Metrics[Run]{
	"pps":      func(r Run) float64 { return r.PagesPerS },
	"rss":      func(r Run) float64 { return r.PeakMiB },
	"cpu":      func(r Run) float64 { return r.CPUusPage },
	"wall":     func(r Run) float64 { return r.WallS },
	"srvcpu":   func(r Run) float64 { return r.ServerUSPage },
	"conns":    func(r Run) float64 { return float64(r.Conns) },
	"inflight": func(r Run) float64 { return float64(r.MaxInFlight) },
}

// section is a scenario's figures.
type section = harness.Section[scenario, Run]

// report is the harness's results, analysed.
type report struct {
	Meta     meta
	Runs     []Run
	Sections []*section
	Targets  []target
}

// The targets of issue 8: weft's pages/s at least 1.5 × colly's, at no
// more peak memory.
const (
	targetSpeedup = 1.5
	targetMemory  = 1.0
)

// target is the target in one scenario.
type target struct {
	Scenario     string
	Speedup      float64 // weft's median pages/s over colly's
	Memory       float64 // weft's median peak RSS over colly's
	SpeedMet     string  // "**yes**", "**no**" or "n/a"
	MemMet       string
	Met          string // both
	SpeedRounds  string // in how many rounds, run against run, each held
	MemRounds    string
	BothRounds   string
	RoundSpeedup []float64 // weft over colly, pages/s, per round with both runs
}

// analyse reduces the runs to a table per scenario and checks the
// targets.
func analyse(res results) *report {
	rep := &report{Meta: res.Meta, Runs: res.Runs}
	for _, sc := range res.Meta.Scenarios {
		rep.Sections = append(rep.Sections, &section{Sc: sc, Table: harness.NewTable(sc.Name, res.Meta.Impls, res.Runs, metrics)})
	}
	for _, s := range rep.Sections {
		rep.Targets = append(rep.Targets, targetOf(s, res.Meta.Rounds))
	}
	return rep
}

func targetOf(s *section, rounds int) target {
	t := target{Scenario: s.Sc.Name}
	t.Speedup = s.Med("weft", "pps") / s.Med("colly", "pps")
	t.Memory = s.Med("weft", "rss") / s.Med("colly", "rss")
	speedOK, memOK := t.Speedup >= targetSpeedup, t.Memory <= targetMemory
	unknown := math.IsNaN(t.Speedup) || math.IsNaN(t.Memory)
	t.SpeedMet = harness.Verdict(speedOK, math.IsNaN(t.Speedup))
	t.MemMet = harness.Verdict(memOK, math.IsNaN(t.Memory))
	t.Met = harness.Verdict(speedOK && memOK, unknown)
	pair := func(round int) (w, c Run, ok bool) {
		w, ok1 := s.Runs["weft"][round]
		c, ok2 := s.Runs["colly"][round]
		return w, c, ok1 && ok2
	}
	t.SpeedRounds = harness.InRounds(rounds, func(round int) (bool, bool) {
		w, c, ok := pair(round)
		return w.PagesPerS >= targetSpeedup*c.PagesPerS, ok
	})
	t.MemRounds = harness.InRounds(rounds, func(round int) (bool, bool) {
		w, c, ok := pair(round)
		return w.PeakMiB <= targetMemory*c.PeakMiB, ok
	})
	t.BothRounds = harness.InRounds(rounds, func(round int) (bool, bool) {
		w, c, ok := pair(round)
		return w.PagesPerS >= targetSpeedup*c.PagesPerS && w.PeakMiB <= targetMemory*c.PeakMiB, ok
	})
	for round := 1; round <= rounds; round++ {
		if w, c, ok := pair(round); ok {
			t.RoundSpeedup = append(t.RoundSpeedup, w.PagesPerS/c.PagesPerS)
		}
	}
	return t
}

// The report's number formats, named short for the tables.
var f0, f1, f2, fx = harness.F0, harness.F1, harness.F2, harness.Fx

// Markdown is the report in markdown, showing the chart in imgRef if
// withCharts.
func (rep *report) Markdown(imgRef string, withCharts bool) string {
	m := rep.Meta
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(harness.Heading{
		Title:   "Crawler benchmark: weft's examples/crawler against gocolly/colly v2",
		Writer:  "bench/crawler/harness",
		Command: cmp.Or(m.Command, "scripts/bench_crawler.sh"),
		Date:    m.Date, Elapsed: m.Elapsed, Quick: m.Quick,
	}.String())
	p("- Machine: %s. Other processes may share it: the load average was %.2f at the start and %.2f at the end. "+
		"**The figures may be noisy**; read the ± (half the range over the rounds, as a percentage of the median) before a difference.\n",
		m.Machine, m.LoadStart, m.LoadEnd)
	p("- Go %s; colly %s; weft %s.\n", strings.TrimPrefix(m.GoVersion, "go"), cmp.Or(m.CollyVersion, "?"), cmp.Or(m.WeftRev, "(working tree)"))
	warm := ""
	if m.Warmup {
		warm = ", after one uncounted warm-up crawl of each site by each crawler"
	}
	p("- %d round(s), each crawling every site with every crawler in turn, the first crawler one further each round%s; every crawl a fresh process; medians over the rounds.\n\n", m.Rounds, warm)

	if len(rep.Targets) > 0 {
		p("## Target\n\n")
		p("Issue 8: at least %.1f × colly's pages/s at no more memory (peak RSS).\n\n", targetSpeedup)
		p("| site | weft / colly pages/s | ≥ %.1f × | weft / colly peak RSS | ≤ 1 × | both | per round: pages/s, memory, both | pages/s ratio per round |\n|---|---:|---|---:|---|---|---|---|\n", targetSpeedup)
		for _, t := range rep.Targets {
			var rs []string
			for _, v := range t.RoundSpeedup {
				rs = append(rs, fx(v))
			}
			p("| %s | %s | %s | %s | %s | %s | %s, %s, %s | %s |\n", t.Scenario, fx(t.Speedup), t.SpeedMet, fx(t.Memory), t.MemMet, t.Met,
				t.SpeedRounds, t.MemRounds, t.BothRounds, cmp.Or(strings.Join(rs, " "), "—"))
		}
		p("\nThe ratios are of the medians; \"per round\" compares, round by round, the two crawls made one after the other. A target met on the medians but not in most rounds, or missed by less than the ±, is within the noise.\n\n")
	}

	p("## Results\n\n")
	p("Pages/s is the URLs a correct crawl fetches (below) over the crawl's wall time, from just before the crawler's process starts to its exit. " +
		"Peak RSS is the crawler's most resident memory. CPU is the crawler's user+system time per page; the server's is the site server's, over the same crawl. " +
		"Connections are those the server accepted, and in flight the most requests it was serving at once: far below -concurrency, it says that the CPUs, not the limit, bounded the crawl.\n\n")
	p("| site | crawler | pages/s | vs colly | wall s | peak RSS MiB | vs colly | CPU µs/page | server CPU µs/page | connections | in flight | runs ok |\n")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range rep.Sections {
		for _, st := range s.Impls {
			vs := func(key string) string {
				if st.Impl == "colly" {
					return ""
				}
				return fx(s.Med(st.Impl, key) / s.Med("colly", key))
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", s.Sc.Name, st.Impl,
				harness.WithRange(st.M["pps"], f0), vs("pps"), f2(st.M["wall"].Med),
				harness.WithRange(st.M["rss"], f1), vs("rss"), f1(st.M["cpu"].Med), f1(st.M["srvcpu"].Med),
				f0(st.M["conns"].Med), f0(st.M["inflight"].Med), st.OK, st.Total)
		}
	}
	p("\n")
	if withCharts {
		b.WriteString(harness.ChartsSection(chartFiles(), imgRef))
	}

	set := m.Settings
	p("## Setup\n\n")
	p("**The site.** weft's examples/crawler/demosite, served by net/http in a process of its own (bench/crawler/site, GOMAXPROCS = the CPUs) on loopback, the same process for both crawlers. "+
		"Its pages link to %s others each, in every form a crawler must normalise (relative, dot-segments, fragments, absolute, mixed case), around redirects (301, chains of 302, a loop, one off the host, one to a disallowed path), "+
		"404 and 500 pages, non-HTML files, a `<base href>` page, malformed HTML and a robots.txt; some pages are sent gzip-encoded, some chunked; pages are about 4 KiB.\n\n", linksOf(rep))
	p("| site | pages | seed | the site's depth | -depth given | URLs a correct crawl fetches |\n|---|---:|---:|---:|---:|---:|\n")
	for _, sc := range m.Scenarios {
		p("| %s | %s | %d | %d | %d | %s |\n", sc.Name, f0(float64(sc.Pages)), sc.Seed, sc.SiteDepth, sc.Depth, f0(float64(sc.URLs)))
	}
	p("\nThe URLs are those `demosite.URLs` names for the depth given: robots.txt, the pages, redirect hops and the pages that answer 404 or 500 and the files, each once. " +
		"-depth is twice the site's depth (the depth of its deepest page from \"/\"): a crawler that reaches a page first by a longer way, as colly may, still reaches every page.\n\n")
	p("**The settings**, the same for both, under the same flag names:\n\n")
	p("```\nweft-crawler  %s\ncolly-crawler %s\n```\n\n", strings.Join(cfgArgs(m, "weft"), " "), strings.Join(cfgArgs(m, "colly"), " "))
	p("`-concurrency %d` and `-per-host %d`: the site is one host, so neither bounds the other. -max-body is colly's default (%s bytes), given to both. "+
		"robots.txt is obeyed by both (colly ignores it unless told). Both write a JSON line per fetched URL to a file.\n\n", set.Concurrency, set.PerHost, f0(float64(set.MaxBody)))
	p("**weft** is examples/crawler as built from the working tree: its default loops (one per CPU) and its own HTTP/1.1 client on weft's sockets.\n\n")
	p("**colly** is bench/crawler/colly: `colly.NewCollector(Async(true), MaxDepth(depth+1), AllowedDomains(the seed's host), UserAgent, MaxBodySize)` with `IgnoreRobotsTxt = false`, "+
		"a `LimitRule{DomainGlob: \"*\", Parallelism: %d}`, the request timeout, an http.Transport keeping %d idle connections per host (Go's default keeps 2), "+
		"and `OnHTML(\"a[href]\")` calling `e.Request.Visit(href)` on each link (which resolves it with `AbsoluteURL`, `<base href>` honoured). Three additions make it fetch exactly what a correct crawler fetches, each page once (see its package comment): "+
		"it cuts a link's fragment from its href before visiting it (colly would fetch `/p/7#s3` after `/p/7`), its visited store checks and marks a URL in one step "+
		"(colly's own checks and marks in two, so two goroutines that find a link at once both fetch it: `colly-crawler -shipped-store` shows it), and its redirect policy stops at a loop and does not follow a redirect to a disallowed path. "+
		"The second saves colly the fetches it would make twice, which can only favour it.\n\n", set.Concurrency, set.Concurrency)
	p("**Checked, every crawl, both crawlers:** the crawler exits 0; its JSON Lines account for exactly the URLs above (each line's url and final_url, and the redirect hops between them as the server answered), "+
		"no URL on two lines, and no page the server answered with 2xx recorded without a response; the server's own count of what it served is exactly those URLs, each once (robots.txt once); "+
		"it never had more than %d requests in flight; every request carried the User-Agent given. A crawl that fails any of these does not count: a crawler that fetches fewer pages is not faster.\n\n", set.Concurrency)
	p("**Measured:** each crawler runs under a small launcher (bench/crawler/launch, about 2 MiB resident), which takes the wall time from just before the crawler's start to its exit " +
		"(process start and exit count, as they do for a user) and reads its CPU time and peak RSS from `wait4`'s rusage. The launcher is there because, on Linux, the maxrss of a child Go starts is at least the parent's own peak " +
		"(Go starts children with vfork, and exec keeps the high-water mark of the memory it leaves), and the harness's is above a small crawl's; the launcher's is below any Go program's, and every run's figure came from wait4 (a run whose did not would fail). " +
		"The site server shares the machine's CPUs with the crawler, so pages/s is bounded by both; CPU per page is the figure least bent by that.\n\n")

	b.WriteString(harness.ProblemsSection(rep.Runs, "None: every crawl fetched exactly the URLs a correct crawl fetches, each once, within the settings."))

	p("## Every run\n\n<details><summary>%d runs</summary>\n\n", len(rep.Runs))
	p("| round | site | crawler | started (UTC) | pages/s | wall s | peak RSS MiB | from | user s | sys s | lines | error lines | server requests | connections | in flight | gzip requests | server CPU s | ok |\n")
	p("|---:|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rep.Runs {
		p("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", r.Round, r.Scenario, r.Impl, harness.Started(r.Start),
			f0(r.PagesPerS), f2(r.WallS), f1(r.PeakMiB), r.PeakFrom, f2(r.UserS), f2(r.SysS), r.Lines, r.Errors,
			r.Requests, r.Conns, r.MaxInFlight, r.Gzip, f2(r.ServerCPUS), r.Outcome())
	}
	p("\n</details>\n")
	return b.String()
}

// linksOf is the links per page of the report's sites, as a phrase.
func linksOf(rep *report) string {
	for _, sc := range rep.Meta.Scenarios {
		if sc.Links > 0 {
			return fmt.Sprint(sc.Links)
		}
	}
	return "8 (demosite's default)"
}

// cfgArgs is impl's command line as the report shows it, the first
// scenario's depth in it.
func cfgArgs(m meta, impl string) []string {
	sc := scenario{Depth: 0}
	if len(m.Scenarios) > 0 {
		sc = m.Scenarios[0]
	}
	return config{set: m.Settings}.args(impl, sc, "http://127.0.0.1:PORT/", "OUT.jsonl")
}

// Summary is the results in short, for the terminal.
func (rep *report) Summary() string {
	var b strings.Builder
	for _, s := range rep.Sections {
		fmt.Fprintf(&b, "%s (%d URLs):\n", s.Sc.Name, s.Sc.URLs)
		for _, st := range s.Impls {
			fmt.Fprintf(&b, "  %-6s %7s pages/s  peak %6s MiB  %6s CPU µs/page  (%d/%d ok)\n", st.Impl,
				f0(st.M["pps"].Med), f1(st.M["rss"].Med), f1(st.M["cpu"].Med), st.OK, st.Total)
		}
	}
	for _, t := range rep.Targets {
		fmt.Fprintf(&b, "target (%s): pages/s %s of colly's (≥ %.1f: %s, %s rounds), peak RSS %s of colly's (≤ 1: %s, %s rounds)\n",
			t.Scenario, fx(t.Speedup), targetSpeedup, strings.Trim(t.SpeedMet, "*"), t.SpeedRounds, fx(t.Memory), strings.Trim(t.MemMet, "*"), t.MemRounds)
	}
	return b.String()
}
