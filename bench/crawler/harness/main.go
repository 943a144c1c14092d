package main

import (
	"debug/buildinfo"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/internal/harness"
)

// results is everything a run of the harness found: what the report is
// made from.
type results = harness.Results[meta, Run]

// meta is how the harness ran, for the report: its JSON begins with the
// Stamp's fields and ends with the Span's.
type meta struct {
	harness.Stamp // date, command, machine

	GoVersion    string     `json:"go_version"`
	CollyVersion string     `json:"colly_version"`
	WeftRev      string     `json:"weft_rev"`
	Rounds       int        `json:"rounds"`
	Quick        bool       `json:"quick"`
	Warmup       bool       `json:"warmup"`
	Impls        []string   `json:"impls"`
	Settings     settings   `json:"settings"`
	Scenarios    []scenario `json:"scenarios"`

	harness.Span // load_start, load_end, elapsed
}

// settings are the crawl settings both crawlers are given.
type settings struct {
	Concurrency int    `json:"concurrency"`
	PerHost     int    `json:"per_host"`
	Timeout     string `json:"timeout"`
	MaxBody     int    `json:"max_body"`
	UserAgent   string `json:"user_agent"`
}

// scenario is one site and how deep it is crawled.
type scenario struct {
	Name      string `json:"name"`
	Pages     int    `json:"pages"`      // of the site, as demosite counts them
	Seed      int64  `json:"seed"`       // the site's
	Links     int    `json:"links"`      // per page; 0: demosite's default
	SiteDepth int    `json:"site_depth"` // the deepest page's depth from "/"
	Depth     int    `json:"depth"`      // the -depth both crawlers are given
	URLs      int    `json:"urls"`       // URLs a correct crawl fetches (demosite.URLs)
}

func (sc scenario) site() crawl.Site {
	return crawl.Site{Pages: sc.Pages, Seed: sc.Seed, Links: sc.Links}
}

// allImpls are the crawlers, in the report's order.
var allImpls = []string{"weft", "colly"}

// Binary names in -bin.
const (
	weftBin   = "weft-crawler"
	collyBin  = "colly-crawler"
	siteBin   = "site"
	launchBin = "launch"
)

func main() {
	root := flag.String("root", "", "the weft repository (default: found upwards from the working directory)")
	bin := flag.String("bin", "", "a directory holding weft-crawler, colly-crawler, site and launch, built already (default: build them)")
	rounds := flag.Int("rounds", 7, "rounds (each crawls every site with every crawler)")
	quick := flag.Bool("quick", false, "a smoke run: 1 round of a 300-page site (unless -rounds or -pages are given)")
	pagesF := flag.String("pages", "2000", "the sites' sizes in pages, comma-separated: a scenario each")
	seed := flag.Int64("seed", 1, "the sites' seed")
	links := flag.Int("links", 0, "links per page (0: demosite's default)")
	depth := flag.Int("depth", 0, "-depth of both crawlers (0: twice the site's depth; see the report)")
	conc := flag.Int("concurrency", 64, "requests in flight overall, and per host (the site is one host)")
	timeout := flag.Duration("timeout", 10*time.Second, "-timeout of both crawlers: a whole request")
	maxBody := flag.Int("max-body", 10<<20, "-max-body of both crawlers, bytes (colly's default)")
	ua := flag.String("user-agent", "crawler-bench/1", "-user-agent of both crawlers")
	implsF := flag.String("impls", strings.Join(allImpls, ","), "crawlers, in round 1's order")
	warmup := flag.Bool("warmup", true, "crawl each site once with each crawler before the rounds, uncounted")
	runTimeout := flag.Duration("run-timeout", 3*time.Minute, "a crawl still running after this is killed and fails")
	files := harness.FileFlags("docs/crawler-bench.md")
	command := flag.String("cmd", "", "the command that reproduces this run, for the report")
	rev := flag.String("rev", "", "the weft revision, for the report")
	verbose := flag.Bool("v", false, "print the crawlers' and the site's stderr")
	flag.Parse()
	set := harness.GivenFlags()

	var res results
	if files.From != "" {
		if err := files.Load(&res); err != nil {
			fatal("%v", err)
		}
	} else {
		if *quick {
			if !set["rounds"] {
				*rounds = 1
			}
			if !set["pages"] {
				*pagesF = "300"
			}
		}
		switch {
		case *rounds < 1:
			fatal("-rounds must be 1 or more")
		case *conc < 1:
			fatal("-concurrency must be 1 or more")
		case *depth < 0 || *links < 0:
			fatal("-depth and -links must be 0 or more")
		case *timeout <= 0 || *maxBody < 1:
			fatal("-timeout and -max-body must be more than 0")
		}
		impls := strings.Split(*implsF, ",")
		for _, impl := range impls {
			if !slices.Contains(allImpls, impl) {
				fatal("-impls: %q is none of %s", impl, strings.Join(allImpls, ", "))
			}
		}
		var scs []scenario
		for _, f := range strings.Split(*pagesF, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 2 {
				fatal("-pages: %q is not a number of 2 or more", f)
			}
			sc, err := newScenario(n, *seed, *links, *depth)
			if err != nil {
				fatal("%v", err)
			}
			scs = append(scs, sc)
		}

		res.Meta = meta{
			Stamp:     harness.NewStamp(*command),
			WeftRev:   *rev,
			Rounds:    *rounds,
			Quick:     *quick,
			Warmup:    *warmup,
			Impls:     impls,
			Settings:  settings{Concurrency: *conc, PerHost: *conc, Timeout: timeout.String(), MaxBody: *maxBody, UserAgent: *ua},
			Scenarios: scs,
		}
		cfg := config{bin: *bin, set: res.Meta.Settings, runTimeout: *runTimeout, verbose: *verbose}
		if err := cfg.measure(&res, *root, *warmup); err != nil {
			fatal("%v", err)
		}
		if err := files.Save(res); err != nil {
			fatal("%v", err)
		}
	}
	if err := files.Write(analyse(res)); err != nil {
		fatal("%v", err)
	}
}

// newScenario is a site of pages pages and the depth both crawlers are
// given: depth if it is not 0, else twice the site's depth. Twice, not
// once: colly keeps the depth of the first way it reaches a page, which
// may be longer than the shortest, and weft's crawler need not crawl in
// breadth-first order either; at twice the depth, every page is reached
// whatever the order, and the check against demosite.URLs, which assumes
// shortest ways, holds for any correct crawler.
func newScenario(pages int, seed int64, links, depth int) (scenario, error) {
	sc := scenario{Name: fmt.Sprintf("%d pages", pages), Pages: pages, Seed: seed, Links: links}
	d, err := sc.site().MaxDepth(10_000)
	if err != nil {
		return sc, err
	}
	sc.SiteDepth, sc.Depth = d, depth
	if depth == 0 {
		sc.Depth = 2 * d
	}
	want, err := sc.site().Want(sc.Depth)
	if err != nil {
		return sc, err
	}
	sc.URLs = len(want)
	return sc, nil
}

// fatal ends the harness with a message.
var fatal = harness.Fatalf

// measure builds the programs (unless cfg.bin holds them), reads their
// versions into res's meta, and makes every crawl of res's scenarios.
func (cfg config) measure(res *results, root string, warmup bool) error {
	if cfg.bin == "" {
		if root == "" {
			var err error
			if root, err = findRoot(); err != nil {
				return fmt.Errorf("%w (give -root)", err)
			}
		}
		tmp, err := os.MkdirTemp("", "crawler-bench-bin")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := build(root, tmp); err != nil {
			return err
		}
		cfg.bin = tmp
	}
	m := &res.Meta
	bi, err := buildinfo.ReadFile(filepath.Join(cfg.bin, weftBin))
	if err != nil {
		return fmt.Errorf("%s: %w", weftBin, err)
	}
	m.GoVersion = bi.GoVersion
	if bi, err = buildinfo.ReadFile(filepath.Join(cfg.bin, collyBin)); err != nil {
		return fmt.Errorf("%s: %w", collyBin, err)
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/gocolly/colly/v2" {
			m.CollyVersion = d.Version
		}
	}
	m.Span = harness.Begin()
	runs, err := cfg.runScenarios(m.Scenarios, m.Impls, m.Rounds, warmup)
	if err != nil {
		return err
	}
	res.Runs = runs
	m.End()
	return nil
}
