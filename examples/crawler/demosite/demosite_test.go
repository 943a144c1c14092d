package demosite_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/net/html"

	"github.com/weftio/weft/examples/crawler/demosite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client GETs without following redirects and without Go's transparent
// gzip, so the test sees what the site sends.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type got struct {
	status   int
	location string
	ctype    string
	links    []string // absolute URLs, normalised, fragments dropped
}

// get fetches u and extracts its links with a tokenizer, <base> honoured.
func get(t *testing.T, c *http.Client, u string, gz bool) got {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	g := got{status: resp.StatusCode, location: resp.Header.Get("Location"), ctype: resp.Header.Get("Content-Type")}
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	if g.status/100 != 2 || !strings.HasPrefix(g.ctype, "text/html") {
		io.Copy(io.Discard, body)
		return g
	}
	base, _ := url.Parse(u)
	var hrefs []string
	baseSet := false
	z := html.NewTokenizer(body)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, more := z.TagName()
		if string(name) != "a" && string(name) != "base" {
			continue
		}
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			if string(k) == "href" {
				if string(name) == "a" {
					hrefs = append(hrefs, string(v))
				} else if !baseSet {
					baseSet = true
					base, _ = base.Parse(string(v))
				}
				break
			}
		}
	}
	for _, h := range hrefs {
		h = strings.TrimSpace(h)
		l, err := base.Parse(h)
		if err != nil || (l.Scheme != "http" && l.Scheme != "https") {
			continue
		}
		l.Fragment, l.Host = "", strings.ToLower(l.Host)
		g.links = append(g.links, l.String())
	}
	return g
}

// onHost keeps the paths of the links to host.
func onHost(links []string, host string) []string {
	var ps []string
	for _, l := range links {
		u, _ := url.Parse(l)
		if u.Host == host {
			ps = append(ps, u.RequestURI())
		}
	}
	return ps
}

// TestSiteAgreesWithURLs crawls the site over HTTP, one page at a time,
// with a reference crawler written here (net/http, x/net/html), and
// checks that it fetches what URLs says, at several depths and sizes, and
// that no trap is ever fetched.
func TestSiteAgreesWithURLs(t *testing.T) {
	for _, o := range []demosite.Options{{}, {Pages: 40, Seed: 7, Links: 3}, {Pages: 1}, {Pages: 500, Seed: 2}} {
		srv := httptest.NewServer(demosite.Handler(o))
		c := client(t)
		host := srv.Listener.Addr().String()
		for _, depth := range []int{0, 1, 3, 100} {
			if o.Pages == 500 && depth != 100 {
				continue
			}
			fetched := reference(t, c, "http://"+host, depth)
			want := demosite.URLs(o, depth)
			if !slices.Equal(fetched, want) {
				t.Errorf("%+v depth %d: the reference crawler fetched\n%v\nURLs says\n%v", o, depth, fetched, want)
			}
			for _, p := range fetched {
				if strings.HasPrefix(p, "/trap/") {
					t.Errorf("%+v depth %d: fetched %s", o, depth, p)
				}
			}
		}
		srv.Close()
	}
}

// reference is a breadth-first crawl, one page at a time, with the
// semantics URLs documents.
func reference(t *testing.T, c *http.Client, origin string, depth int) []string {
	fetched := map[string]bool{"/robots.txt": true}
	dist := map[string]int{"/": 0}
	level := []string{"/"}
	allowed := func(p string) bool {
		return !strings.HasPrefix(p, "/private/") || strings.HasPrefix(p, "/private/open")
	}
	host := strings.TrimPrefix(origin, "http://")
	for d := 0; len(level) > 0; d++ {
		var next []string
		for _, p := range level {
			// Follow redirects within the same depth.
			for hops := 0; hops <= 10; hops++ {
				if fetched[p] {
					break
				}
				fetched[p] = true
				g := get(t, c, origin+p, hops%2 == 0)
				if g.location == "" {
					if d < depth {
						for _, l := range onHost(g.links, host) {
							if _, ok := dist[l]; !ok && allowed(l) {
								dist[l] = d + 1
								next = append(next, l)
							}
						}
					}
					break
				}
				u, _ := url.Parse(origin + p)
				to, _ := u.Parse(g.location)
				if to.Host != host || !allowed(to.RequestURI()) {
					break
				}
				p = to.RequestURI()
				if e, ok := dist[p]; !ok || e > d {
					dist[p] = d
				}
			}
		}
		level = next
	}
	var out []string
	for p := range fetched {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestStructure checks the site's promises: every page reachable, the
// same seed the same site, another seed another one, pages about
// PageBytes long, gzip when asked, the documented statuses.
func TestStructure(t *testing.T) {
	all := demosite.URLs(demosite.Options{}, 1000)
	for i := 1; i < demosite.DefaultPages; i++ {
		if !slices.Contains(all, fmt.Sprintf("/p/%d", i)) {
			t.Fatalf("/p/%d is not reachable", i)
		}
	}
	if a, b := demosite.URLs(demosite.Options{Seed: 1}, 2), demosite.URLs(demosite.Options{Seed: 1}, 2); !slices.Equal(a, b) {
		t.Error("the same options gave two sites")
	}
	if a, b := demosite.URLs(demosite.Options{Seed: 1}, 2), demosite.URLs(demosite.Options{Seed: 2}, 2); slices.Equal(a, b) {
		t.Error("two seeds gave the same site")
	}
	srv := httptest.NewServer(demosite.Handler(demosite.Options{PageBytes: 10000}))
	defer srv.Close()
	c := client(t)
	for _, tc := range []struct {
		path, ctype string
		status      int
		gzip        bool
	}{
		{"/", "text/html", 200, false}, {"/p/1", "text/html", 200, true}, {"/robots.txt", "text/plain", 200, false},
		{"/r/5", "text/html", 301, false}, {"/loop/a", "text/html", 302, false}, {"/missing/3", "text/html", 404, false},
		{"/error", "text/html", 500, false}, {"/files/report.pdf", "application/pdf", 200, false},
		{"/files/notes.txt", "text/plain", 200, false}, {"/p/0", "text/html", 404, false}, {"/p/01", "text/html", 404, false},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) ||
			(resp.Header.Get("Content-Encoding") == "gzip") != tc.gzip {
			t.Errorf("%s: %d %q %q, want %d %q gzip %v", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"),
				resp.Header.Get("Content-Encoding"), tc.status, tc.ctype, tc.gzip)
		}
		if tc.path == "/" && (len(b) < 10000 || len(b) > 11000) {
			t.Errorf("/ is %d bytes, want about 10000", len(b))
		}
	}
}

func ExampleURLs() {
	// The pages a correct crawler fetches from "/" to depth 1: the home
	// page, robots.txt, the pages and specials the home page links to and
	// the targets of the redirects among them.
	for _, p := range demosite.URLs(demosite.Options{Pages: 20, Seed: 1}, 1) {
		fmt.Println(p)
	}
	// Output:
	// /
	// /p/1
	// /p/11
	// /p/14
	// /p/16
	// /robots.txt
}

func ExampleHandler() {
	srv := httptest.NewServer(demosite.Handler(demosite.Options{Pages: 50, Seed: 1}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/robots.txt")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// # robots.txt of the weft demo site
	// User-agent: *
	// Disallow: /private/
	// Allow: /private/open
}
