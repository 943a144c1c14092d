package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/crawler/internal/leaktest"
	"github.com/weftio/weft/examples/crawler/demosite"
)

// demo serves a demosite of pages pages, counted, until the test ends.
func demo(t *testing.T, o demosite.Options) (*crawl.Counter, *httptest.Server) {
	t.Helper()
	c := crawl.NewCounter(demosite.Handler(o))
	srv := httptest.NewUnstartedServer(c)
	srv.Config.ConnState = c.ConnState
	srv.Start()
	t.Cleanup(srv.Close)
	return c, srv
}

func testConfig(seed string, depth int) config {
	return config{seed: seed, depth: depth, concurrency: 16, perHost: 16, timeout: 10 * time.Second,
		maxBody: 1 << 20, scope: "host", robots: true, userAgent: "colly-test"}
}

// The colly crawler fetches exactly what demosite says a correct crawler
// fetches, each once, from both sides: its output and the server's count.
func TestCrawlIsCorrect(t *testing.T) {
	leaktest.Check(t)
	site := crawl.Site{Pages: 200, Seed: 7}
	c, srv := demo(t, site.Options())
	d, err := site.MaxDepth(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, depth := range []int{2, 2 * d} {
		want, err := site.Want(depth)
		if err != nil {
			t.Fatal(err)
		}
		c.Snapshot(true)
		var out bytes.Buffer
		sum, err := run(testConfig(srv.URL+"/", depth), &out)
		if err != nil {
			t.Fatal(err)
		}
		st := c.Snapshot(true)
		res, err := crawl.Check(&out, strings.TrimPrefix(srv.URL, "http://"), want, st)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() || sum.fetched != res.Lines {
			t.Errorf("depth %d: output: %s (%d lines, %d counted)", depth, res, res.Lines, sum.fetched)
		}
		if v := st.Served(want); !v.OK() {
			t.Errorf("depth %d: server: %s", depth, v)
		}
		if st.MaxInFlight > 16 || st.UserAgents["colly-test"] != int(st.Requests) {
			t.Errorf("depth %d: %d in flight (limit 16), user agents %v", depth, st.MaxInFlight, st.UserAgents)
		}
	}
}

// Without robots.txt, the crawl fetches the disallowed pages, the one
// behind the redirect included.
func TestCrawlWithoutRobots(t *testing.T) {
	leaktest.Check(t)
	site := crawl.Site{Pages: 100, Seed: 7}
	c, srv := demo(t, site.Options())
	cfg := testConfig(srv.URL+"/", 20)
	cfg.robots = false
	var out bytes.Buffer
	if _, err := run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	want, _ := site.Want(20)
	v := c.Snapshot(true).Served(want)
	linked := slices.ContainsFunc(v.Extra, func(k string) bool { return strings.HasPrefix(k, "/private/") && k != "/private/secret" })
	if !linked || !slices.Contains(v.Extra, "/private/secret") || v.Robots != 0 {
		t.Errorf("extra %q, robots.txt %d times: want a linked /private/ page and /private/secret (behind /r/private), and no robots.txt", v.Extra, v.Robots)
	}
}

// -concurrency bounds the requests in flight: a site that answers slowly
// has them pile up to the bound, not past it.
func TestCrawlConcurrency(t *testing.T) {
	leaktest.Check(t)
	site := crawl.Site{Pages: 60, Seed: 7}
	o := site.Options()
	o.Latency = 5 * time.Millisecond
	c, srv := demo(t, o)
	cfg := testConfig(srv.URL+"/", 20)
	cfg.concurrency, cfg.perHost = 3, 8
	var out bytes.Buffer
	if _, err := run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	if st := c.Snapshot(true); st.MaxInFlight > 3 || st.MaxInFlight < 2 {
		t.Errorf("%d requests in flight at most, want 3 (or 2, if they never met)", st.MaxInFlight)
	}
}

func TestRedirectPolicy(t *testing.T) {
	tap := newRobotsTap(http.DefaultTransport)
	rd, err := robotstxt.FromString("User-agent: *\nDisallow: /private/\nAllow: /private/open\n")
	if err != nil {
		t.Fatal(err)
	}
	tap.byHost["h"] = rd
	req := func(s string) *http.Request {
		u, _ := url.Parse(s)
		return &http.Request{URL: u}
	}
	policy := redirect(tap, true, "x")
	for _, tc := range []struct {
		to   string
		via  []string
		want error
	}{
		{"http://h/b", []string{"http://h/a"}, nil},
		{"http://h/a", []string{"http://h/a", "http://h/b"}, errRedirectLoop},
		{"http://h/private/x", []string{"http://h/a"}, http.ErrUseLastResponse},
		{"http://h/private/open", []string{"http://h/a"}, nil},
		{"http://other/private/x", []string{"http://h/a"}, nil}, // no robots.txt seen for it
		{"http://h/11", []string{"http://h/1", "http://h/2", "http://h/3", "http://h/4", "http://h/5", "http://h/6", "http://h/7", "http://h/8", "http://h/9", "http://h/10"}, http.ErrUseLastResponse},
	} {
		var via []*http.Request
		for _, v := range tc.via {
			via = append(via, req(v))
		}
		if err := policy(req(tc.to), via); !errors.Is(err, tc.want) {
			t.Errorf("%s after %v: %v, want %v", tc.to, tc.via, err, tc.want)
		}
	}
	if err := redirect(tap, false, "x")(req("http://h/private/x"), []*http.Request{req("http://h/a")}); err != nil {
		t.Errorf("robots off: %v", err)
	}
}

func TestValidate(t *testing.T) {
	good := testConfig("http://h/", 3)
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*config){
		"seed scheme":  func(c *config) { c.seed = "ftp://h/" },
		"seed host":    func(c *config) { c.seed = "/p/1" },
		"depth":        func(c *config) { c.depth = -1 },
		"concurrency":  func(c *config) { c.concurrency = 0 },
		"per-host":     func(c *config) { c.perHost = 0 },
		"timeout":      func(c *config) { c.timeout = 0 },
		"max-body":     func(c *config) { c.maxBody = 0 },
		"domain scope": func(c *config) { c.scope = "domain" },
	} {
		c := good
		change(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCutFragment(t *testing.T) {
	for in, want := range map[string]struct {
		href string
		frag bool
	}{
		"/p/7#s3": {"/p/7", true}, "http://h/p/7": {"http://h/p/7", false}, "#top": {"", true}, "": {"", false}, " ./7\n": {" ./7\n", false},
	} {
		if href, frag := cutFragment(in); href != want.href || frag != want.frag {
			t.Errorf("cutFragment(%q) = %q, %v; want %q, %v", in, href, frag, want.href, want.frag)
		}
	}
}
