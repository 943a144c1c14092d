//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/examples/crawler/demosite"
	"github.com/weftio/weft/internal/fdtest"
)

// TestDemoSiteExact crawls generated sites (cycles; relative, absolute,
// dot-segment, fragment, mixed-case and whitespace-padded links; a <base
// href>; redirects, a redirect chain, a redirect loop, redirects off the
// host and to a disallowed path; 404 and 500 pages; robots.txt; non-HTML
// files; malformed HTML; gzip and chunked bodies; links to another host)
// and checks that the server saw exactly the requests demosite.URLs
// lists, each once, at several depths, loop counts and concurrencies,
// whatever order the pages finished in.
func TestDemoSiteExact(t *testing.T) {
	fdtest.Check(t)
	for _, tc := range []struct {
		o                 demosite.Options
		depth, loops, con int
	}{
		{demosite.Options{}, 0, 1, 8},
		{demosite.Options{}, 1, 1, 8},
		{demosite.Options{}, 3, 2, 64},
		{demosite.Options{Pages: 60, Seed: 3, Links: 4}, 4, 2, 3},
		{demosite.Options{Pages: 200, Seed: 9}, 100, 2, 32},
		// Latency spread over pages finishing out of order.
		{demosite.Options{Pages: 120, Seed: 5, Latency: time.Millisecond}, 3, 2, 16},
	} {
		t.Run(fmt.Sprintf("pages=%d,depth=%d,loops=%d,concurrency=%d", tc.o.Pages, tc.depth, tc.loops, tc.con), func(t *testing.T) {
			s := serve(t, demosite.Handler(tc.o), nil)
			recs, st := crawl(t, "-depth", fmt.Sprint(tc.depth), "-loops", fmt.Sprint(tc.loops),
				"-concurrency", fmt.Sprint(tc.con), "-per-host", fmt.Sprint(tc.con), s.url())
			want := demosite.URLs(tc.o, tc.depth)
			got, twice := s.paths()
			if !slices.Equal(got, want) {
				t.Errorf("fetched %d paths, want %d\nmissing: %v\nextra:   %v", len(got), len(want), minus(want, got), minus(got, want))
			}
			if len(twice) > 0 {
				t.Errorf("fetched more than once: %v", twice)
			}
			checkRecords(t, s, recs, st, tc.depth)
		})
	}
}

// checkRecords checks the records of a demo-site crawl against what the
// server saw: one per URL the crawl started (redirect hops are part of
// their chain's record), depths within the limit, and what each special
// page must give.
func checkRecords(t *testing.T, s *server, recs []record, st stats, depth int) {
	t.Helper()
	m := byURL(t, recs)
	if st.Pages != int64(len(recs)) || st.Robots != 1 {
		t.Errorf("stats say %d pages and %d robots.txt, the output has %d records", st.Pages, st.Robots, len(recs))
	}
	got, _ := s.paths()
	for _, p := range got {
		if strings.HasPrefix(p, "/trap/") {
			t.Errorf("reached the trap %s", p)
		}
		if _, ok := m[s.URL+p]; !ok && p != "/robots.txt" {
			t.Errorf("%s was fetched but has no record", p)
		}
	}
	if len(m) != len(got)-1 {
		t.Errorf("%d records for %d requests (robots.txt aside)", len(m), len(got)-1)
	}
	for u, r := range m {
		if r.Depth > depth {
			t.Errorf("%s recorded at depth %d, beyond %d", u, r.Depth, depth)
		}
		path := strings.TrimPrefix(u, s.URL)
		switch {
		case strings.HasPrefix(path, "/p/") || path == "/":
			if r.Status != 200 || r.Error != "" || r.Links == 0 || r.FinalURL != u || !strings.HasPrefix(r.ContentType, "text/html") {
				t.Errorf("page %s: %+v", path, r)
			}
		case path == "/loop/a":
			if r.Error != "" || r.Status != 302 || r.FinalURL != s.URL+"/loop/b" {
				t.Errorf("the redirect loop's first step: %+v", r)
			}
		case path == "/loop/b":
			if r.Error != "redirect loop" || r.FinalURL != s.URL+"/loop/a" {
				t.Errorf("the redirect loop: %+v", r)
			}
		case path == "/r/away":
			if r.Error != "redirect out of scope" || r.FinalURL != "http://example.invalid/away" {
				t.Errorf("the redirect off the host: %+v", r)
			}
		case path == "/r/private":
			if r.Error != "redirect to a URL robots.txt disallows" || r.Status != 302 {
				t.Errorf("the redirect to a disallowed path: %+v", r)
			}
		case strings.HasPrefix(path, "/missing/"):
			if r.Status != 404 || r.Error != "" || r.Links != 0 {
				t.Errorf("404: %+v", r)
			}
		case path == "/error":
			if r.Status != 500 || r.Links != 0 {
				t.Errorf("500: %+v", r)
			}
		case strings.HasPrefix(path, "/files/"):
			if r.Status != 200 || r.Links != 0 || r.Bytes == 0 || strings.HasPrefix(r.ContentType, "text/html") {
				t.Errorf("a file: %+v", r)
			}
		case strings.HasPrefix(path, "/redir/3/"):
			if r.Error != "" || r.Status != 302 || r.FinalURL != s.URL+"/redir/2/"+path[len("/redir/3/"):] {
				t.Errorf("a redirect chain: %+v", r)
			}
		}
	}
	if r, ok := m[s.URL+"/malformed"]; ok && r.Links != 7 {
		t.Errorf("malformed HTML: %d links, want 7", r.Links)
	}
	if r, ok := m[s.URL+"/base/"]; ok && r.Links != 4 {
		t.Errorf("the <base href> page: %d links, want 4", r.Links)
	}
}

// minus is a \ b.
func minus(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	return d
}

// TestLimits crawls two hosts whose pages take a while, and checks from
// the servers' side that -per-host and -concurrency are never exceeded,
// and that they are reached (so the check could fail).
func TestLimits(t *testing.T) {
	fdtest.Check(t)
	shared := &counter{}
	o := demosite.Options{Pages: 50, Latency: 3 * time.Millisecond}
	a := serve(t, demosite.Handler(o), shared)
	b := serve(t, demosite.Handler(o), shared)
	for _, tc := range []struct{ perHost, concurrency int }{{2, 3}, {5, 8}, {1, 64}} {
		a.reset()
		b.reset()
		crawl(t, "-depth", "100", "-loops", "2", "-per-host", fmt.Sprint(tc.perHost),
			"-concurrency", fmt.Sprint(tc.concurrency), a.url(), b.url())
		want := demosite.URLs(o, 100)
		for _, s := range []*server{a, b} {
			if got, twice := s.paths(); !slices.Equal(got, want) || len(twice) > 0 {
				t.Errorf("%+v: %s: fetched %d paths (%d twice), want %d", tc, s.URL, len(got), len(twice), len(want))
			}
		}
		total := min(tc.concurrency, 2*tc.perHost)
		pa, _ := a.seen()
		pb, _ := b.seen()
		all := shared.most()
		if pa > tc.perHost || pb > tc.perHost || all > tc.concurrency {
			t.Errorf("%+v: peaks of %d and %d per host, %d overall", tc, pa, pb, all)
		}
		if max(pa, pb) < tc.perHost || all < total {
			t.Errorf("%+v: peaks of %d and %d per host, %d overall: the limits were never reached", tc, pa, pb, all)
		}
	}
}

// TestDelay checks that two requests to one host start at least -delay
// apart, while another host has a clock of its own. Seen from the server,
// arrivals may bunch up by the time a connect or a busy scheduler takes,
// so a quarter of the delay is allowed for that.
func TestDelay(t *testing.T) {
	fdtest.Check(t)
	const delay = 100 * time.Millisecond
	site := map[string]string{"/": page("/a", "/b", "/c", "/d"), "/a": page(), "/b": page(), "/c": page(), "/d": page()}
	a := serve(t, pages(site), nil)
	b := serve(t, pages(site), nil)
	recs, _ := crawl(t, "-per-host", "4", "-delay", delay.String(), a.url(), b.url())
	if len(recs) != 10 {
		t.Fatalf("%d records, want 10", len(recs))
	}
	for _, s := range []*server{a, b} {
		_, arrivals := s.seen()
		if len(arrivals) != 6 { // robots.txt too
			t.Fatalf("%d requests, want 6", len(arrivals))
		}
		for i := 1; i < len(arrivals); i++ {
			if gap := arrivals[i].Sub(arrivals[i-1]); gap < delay*3/4 {
				t.Errorf("requests %d and %d to %s arrived %v apart, want at least %v", i-1, i, s.URL, gap, delay)
			}
		}
		if span := arrivals[5].Sub(arrivals[0]); span < 5*delay-delay/4 {
			t.Errorf("6 requests to %s arrived within %v, want at least %v", s.URL, span, 5*delay)
		}
	}
}

// TestScope crawls a site that links to a second host: -scope host stays
// on the seed's host, -scope any goes to the other one (and fetches its
// robots.txt), and a seed on each host makes both in scope.
func TestScope(t *testing.T) {
	fdtest.Check(t)
	other := serve(t, pages(map[string]string{"/": page("/x"), "/x": page()}), nil)
	home := serve(t, pages(map[string]string{"/": page("/in", other.URL+"/"), "/in": page(other.URL + "/x")}), nil)
	for _, tc := range []struct {
		args           []string
		other, records int // requests to other (robots.txt, /, /x), records
	}{
		{[]string{"-scope", "host", home.url()}, 0, 2},
		{[]string{"-scope", "domain", home.url()}, 3, 4}, // 127.0.0.1 is its own domain: both ports are on it
		{[]string{"-scope", "any", home.url()}, 3, 4},
		{[]string{"-scope", "host", home.url(), other.URL + "/x"}, 3, 4},
	} {
		other.reset()
		recs, _ := crawl(t, tc.args...)
		if n := other.count("/robots.txt") + other.count("/") + other.count("/x"); n != tc.other {
			t.Errorf("%v: %d requests to the other host, want %d", tc.args, n, tc.other)
		}
		if len(recs) != tc.records {
			t.Errorf("%v: %d records", tc.args, len(recs))
		}
	}
}

// TestScopeDomain checks -scope domain's notion of a domain without DNS.
func TestScopeDomain(t *testing.T) {
	s := newScope("domain", []string{"https://www.example.co.uk/", "http://127.0.0.1:8080/"})
	for u, want := range map[string]bool{
		"https://shop.example.co.uk/x": true, "http://example.co.uk:81/": true, "https://example.com/": false,
		"http://other.co.uk/": false, "http://127.0.0.1:9090/": true, "http://127.0.0.2:8080/": false,
	} {
		if got := s.in(u); got != want {
			t.Errorf("%s in scope: %v, want %v", u, got, want)
		}
	}
	h := newScope("host", []string{"https://www.example.co.uk/"})
	if h.in("https://shop.example.co.uk/") || !h.in("http://www.example.co.uk/x") {
		t.Error("-scope host: only the seed's host is in")
	}
}

// TestMaxPages stops after -max-pages pages.
func TestMaxPages(t *testing.T) {
	fdtest.Check(t)
	s := serve(t, demosite.Handler(demosite.Options{}), nil)
	recs, st := crawl(t, "-max-pages", "25", "-depth", "100", s.url())
	if len(recs) != 25 || st.Left == 0 {
		t.Errorf("%d records and %d left, want 25 and some", len(recs), st.Left)
	}
}

// TestDepthsExact checks every record's depth against a breadth-first
// search of the site, for pages that finish in a random order: it is
// never less, and the same but for pages whose shorter way was found after
// their record was written (TestDepthRepair), which the depth window
// makes rare.
func TestDepthsExact(t *testing.T) {
	fdtest.Check(t)
	o := demosite.Options{Pages: 150, Seed: 11, Links: 3, Latency: 500 * time.Microsecond}
	s := serve(t, demosite.Handler(o), nil)
	recs, _ := crawl(t, "-depth", "5", "-concurrency", "16", "-per-host", "16", s.url())
	// The depth of a path is the first depth at which URLs lists it.
	first := map[string]int{}
	for d := 5; d >= 0; d-- {
		for _, p := range demosite.URLs(o, d) {
			first[p] = d
		}
	}
	late := 0
	for _, r := range recs {
		u, _ := url.Parse(r.URL)
		d, ok := first[u.RequestURI()]
		if !ok || d > r.Depth {
			t.Errorf("%s at depth %d, want %d", u.RequestURI(), r.Depth, d)
		}
		if d < r.Depth {
			late++
		}
	}
	if late > len(recs)/20 {
		t.Errorf("%d of %d records have a depth larger than the least", late, len(recs))
	}
}

// TestDepthRepair makes pages come back in the order that gives a URL a
// depth too large at first: the crawl finds the shorter way later, and
// still fetches what lies within -depth along it, through a link and
// through a redirect.
func TestDepthRepair(t *testing.T) {
	fdtest.Check(t)
	// From /: /b and /c at depth 1; /c → /d (2) → /x (3, the limit, so
	// its link to /z is beyond it) while /b holds back its answer until
	// /x has been asked for, then links to /x (2): /z is at depth 3.
	// From /: /r at 1 redirects, once /y has been asked for, to /y,
	// which /c → /d → /y reached at 3; /y is at 1, so /y → /v (2) →
	// /w (3) is fetched.
	xAsked, yAsked := make(chan struct{}), make(chan struct{})
	site := pages(map[string]string{
		"/": page("/b", "/c", "/r"), "/c": page("/d"), "/d": page("/x", "/y"),
		"/x": page("/z"), "/z": page(), "/y": page("/v"), "/v": page("/w"), "/w": page(),
	})
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/x":
			close(xAsked)
		case "/y":
			close(yAsked)
		case "/b":
			<-xAsked
			io.WriteString(w, page("/x"))
			return
		case "/r":
			<-yAsked
			http.Redirect(w, r, "/y", http.StatusFound)
			return
		}
		site.ServeHTTP(w, r)
	}), nil)
	recs, _ := crawl(t, "-depth", "3", "-per-host", "8", s.url())
	got, twice := s.paths()
	want := []string{"/", "/b", "/c", "/d", "/r", "/robots.txt", "/v", "/w", "/x", "/y", "/z"}
	if !slices.Equal(got, want) || len(twice) > 0 {
		t.Errorf("fetched %v (twice: %v), want %v", got, twice, want)
	}
	// The records of /x and /y may have been written before the shorter
	// ways were found: then they keep the depth known then.
	m := byURL(t, recs)
	if r := m[s.URL+"/x"]; r.Depth != 2 && r.Depth != 3 {
		t.Errorf("/x recorded at depth %d, want 2 (or 3 if fetched before /b answered)", r.Depth)
	}
	if r := m[s.URL+"/y"]; r.Depth != 1 && r.Depth != 3 {
		t.Errorf("/y recorded at depth %d, want 1 (or 3 if fetched before /r answered)", r.Depth)
	}
	for p, d := range map[string]int{"/z": 3, "/v": 2, "/w": 3, "/r": 1} {
		if r := m[s.URL+p]; r.Depth != d {
			t.Errorf("%s recorded at depth %d, want %d", p, r.Depth, d)
		}
	}
}
