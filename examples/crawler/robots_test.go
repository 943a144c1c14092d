//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"net/http"
	"slices"
	"testing"

	"github.com/weftio/weft/internal/fdtest"
)

// TestRobotsRules checks the parsing and matching of RFC 9309.
func TestRobotsRules(t *testing.T) {
	const txt = `# comment
User-agent: *
Disallow: /private/
Allow: /private/open   # longer: wins
Disallow: /*.cgi$
Disallow: /tmp
Allow: /tmp           # same length: Allow wins
Disallow:             # nothing

User-agent: other-bot
Disallow: /
`
	r := parseRobots([]byte(txt), "weft-crawler")
	for path, want := range map[string]bool{
		"/": true, "/private/": false, "/private/x": false, "/private/open": true, "/private/open/x": true,
		"/a.cgi": false, "/a.cgi?x": true, "/dir/b.cgi": false, "/tmp": true, "/tmpx": true, "/robots.txt": true,
	} {
		if got := r.allowed(path); got != want {
			t.Errorf("* group: %s allowed = %v, want %v", path, got, want)
		}
	}
	// A group for our own product token replaces the * group; groups for
	// it are merged, case does not matter, and a group can name several
	// agents.
	const own = `User-agent: *
Disallow: /

user-agent: Weft-Crawler
user-agent: someone-else
disallow: /no
SITEMAP: http://x/s.xml

User-agent: weft-crawler
Disallow: /also
`
	r = parseRobots([]byte(own), agentToken("weft-crawler/1.0 (+https://x)"))
	for path, want := range map[string]bool{"/": true, "/page": true, "/no": false, "/nope": false, "/also/x": false} {
		if got := r.allowed(path); got != want {
			t.Errorf("own group: %s allowed = %v, want %v", path, got, want)
		}
	}
	if r := parseRobots([]byte("User-agent: weft-crawler\n\nUser-agent: x\nDisallow: /\n"), "weft-crawler"); r.allowed("/a") {
		t.Error("consecutive User-agent lines share the rules after them")
	}
	if r := parseRobots([]byte("User-agent: x\nDisallow: /\n"), "weft-crawler"); !r.allowed("/a") {
		t.Error("no group for us: everything is allowed")
	}
	if !match("/a*b*c$", "/axxbyyc") || match("/a*b*c$", "/axxbyycd") || !match("/*", "/") || match("/a", "/") {
		t.Error("wildcards")
	}
}

// TestRobotsFetch checks robots.txt end to end: fetched once per host,
// obeyed for the crawler's own agent, a 404 allowing everything, a 500
// forbidding everything, and -robots=false ignoring it.
func TestRobotsFetch(t *testing.T) {
	fdtest.Check(t)
	site := map[string]string{"/": page("/a", "/b", "/c"), "/a": page("/b"), "/b": page(), "/c": page("/a")}
	mk := func(robots func(w http.ResponseWriter)) *server {
		h := pages(site)
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				robots(w)
				return
			}
			h.ServeHTTP(w, r)
		}), nil)
	}
	text := func(s string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { w.Write([]byte(s)) }
	}
	code := func(c int) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { w.WriteHeader(c) }
	}
	for _, tc := range []struct {
		name   string
		robots func(http.ResponseWriter)
		args   []string
		want   []string // paths requested
	}{
		{"own group", text("User-agent: *\nDisallow: /\n\nUser-agent: weft-crawler\nDisallow: /b\n"), nil, []string{"/", "/a", "/c", "/robots.txt"}},
		{"own agent renamed", text("User-agent: *\nDisallow: /\n\nUser-agent: weft-crawler\nDisallow: /b\n"), []string{"-user-agent", "mybot/2"}, []string{"/robots.txt"}},
		{"404", code(404), nil, []string{"/", "/a", "/b", "/c", "/robots.txt"}},
		{"500", code(500), nil, []string{"/robots.txt"}},
		{"off", text("User-agent: *\nDisallow: /\n"), []string{"-robots=false"}, []string{"/", "/a", "/b", "/c"}},
	} {
		s := mk(tc.robots)
		crawl(t, append(tc.args, s.url())...)
		got, twice := s.paths()
		if !slices.Equal(got, tc.want) || len(twice) > 0 {
			t.Errorf("%s: requested %v (twice: %v), want %v", tc.name, got, twice, tc.want)
		}
	}
}
