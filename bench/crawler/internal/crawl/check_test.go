package crawl_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
)

// A site of "/", "/a", "/p", a 301 "/r" to "/a", and a chain "/redir/2"
// → "/redir/1" → "/p", as the server saw a correct crawl of it.
var (
	host  = "h:1"
	want  = []string{"/", "/a", "/p", "/r", "/redir/1", "/redir/2", "/robots.txt"}
	stats = crawl.Stats{
		Status:    map[string]int{"/": 200, "/a": 200, "/p": 200, "/r": 301, "/redir/2": 302, "/redir/1": 302, "/robots.txt": 200},
		Redirects: map[string]string{"/r": "/a", "/redir/2": "/redir/1", "/redir/1": "/p"},
	}
	// good is weft's way: one line per chain, under its first URL; /r's
	// target was fetched already, so the crawler stopped there and its
	// final_url is where it would have gone.
	good = []string{
		`{"url":"http://h:1/","final_url":"http://h:1/","status":200}`,
		`{"url":"http://h:1/a","final_url":"http://h:1/a","status":200}`,
		`{"url":"http://h:1/r","final_url":"http://h:1/a","status":301}`,
		`{"url":"http://h:1/redir/2","final_url":"http://h:1/p","status":200}`,
	}
)

func check(t *testing.T, lines []string, st crawl.Stats) crawl.Result {
	t.Helper()
	r, err := crawl.Check(strings.NewReader(strings.Join(lines, "\n")+"\n"), host, want, st)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckGood(t *testing.T) {
	r := check(t, good, stats)
	if !r.OK() || r.Lines != 4 || r.String() != "ok" {
		t.Fatalf("%+v: %s", r, r)
	}
}

// colly's way: a redirect into a page fetched already is an error with
// no response, and the chain's end is where the last response came from.
func TestCheckCollyStyle(t *testing.T) {
	lines := []string{
		`{"url":"http://h:1/","final_url":"http://h:1/","status":200}`,
		`{"url":"http://h:1/a","final_url":"http://h:1/a","status":200}`,
		`{"url":"http://h:1/r","final_url":"http://h:1/r","status":0,"error":"already visited"}`,
		`{"url":"http://h:1/redir/2","final_url":"http://h:1/p","status":200}`,
	}
	r := check(t, lines, stats)
	if !r.OK() || r.Errors != 1 {
		t.Fatalf("%+v: %s", r, r)
	}
}

func TestCheckFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		field func(crawl.Result) []string
		want  []string
	}{
		{"missing page", slices.Delete(slices.Clone(good), 1, 2), func(r crawl.Result) []string { return r.Missing }, []string{"/a"}},
		{"missing chain", slices.Delete(slices.Clone(good), 3, 4), func(r crawl.Result) []string { return r.Missing }, []string{"/p", "/redir/1", "/redir/2"}},
		{"extra", append(slices.Clone(good), `{"url":"/trap/x","status":200}`), func(r crawl.Result) []string { return r.Extra }, []string{"/trap/x"}},
		{"extra final", append(slices.Clone(good), `{"url":"/r","final_url":"/private/x","status":200}`), func(r crawl.Result) []string { return r.Extra }, []string{"/private/x"}},
		{"twice", append(slices.Clone(good), `{"url":"http://H:1/a#frag","status":200}`), func(r crawl.Result) []string { return r.Twice }, []string{"/a"}},
		{"lost", append(slices.Delete(slices.Clone(good), 1, 2), `{"url":"/a","status":0,"error":"timeout"}`), func(r crawl.Result) []string { return r.Lost }, []string{"/a"}},
		{"off site", append(slices.Clone(good), `{"url":"http://elsewhere/x","status":200}`), func(r crawl.Result) []string { return r.OffSite }, []string{"http://elsewhere/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, tc.lines, stats)
			if got := tc.field(r); !slices.Equal(got, tc.want) || r.OK() {
				t.Errorf("got %q, OK %v, want %q: %s", got, r.OK(), tc.want, r)
			}
		})
	}
}

// A redirect not followed (off the host, disallowed, fetched already)
// names, as final_url, where it did not go: that is neither fetched nor
// off the site.
func TestCheckUnfollowedRedirect(t *testing.T) {
	lines := append(slices.Clone(good),
		`{"url":"http://h:1/r","final_url":"http://elsewhere/away","status":302,"error":"redirect out of scope"}`)
	lines = slices.Delete(lines, 2, 3)
	r := check(t, lines, stats)
	if !r.OK() {
		t.Errorf("%s", r)
	}
}

func TestCheckBadOutput(t *testing.T) {
	for _, out := range []string{"{not json}\n", `{"status":200}` + "\n", `{"url":"%zz"}` + "\n"} {
		if _, err := crawl.Check(strings.NewReader(out), host, want, stats); err == nil {
			t.Errorf("%q: no error", out)
		}
	}
}

func TestServed(t *testing.T) {
	hits := func(extra map[string]int) map[string]int {
		m := map[string]int{}
		for _, k := range want {
			m[k] = 1
		}
		for k, n := range extra {
			if n == 0 {
				delete(m, k)
			} else {
				m[k] = n
			}
		}
		return m
	}
	if v := (crawl.Stats{Hits: hits(nil)}).Served(want); !v.OK() || v.String() != "ok" {
		t.Errorf("a correct crawl: %s", v)
	}
	for _, tc := range []struct {
		extra map[string]int
		want  string
	}{
		{map[string]int{"/robots.txt": 2}, "robots.txt requested 2 times"},
		{map[string]int{"/robots.txt": 0}, "robots.txt requested never; 1 page not requested (/robots.txt)"},
		{map[string]int{"/a": 0}, "1 page not requested (/a)"},
		{map[string]int{"/trap": 1}, "1 page requested that a correct crawl does not fetch (/trap)"},
		{map[string]int{"/p": 3}, "1 page requested more than once (/p)"},
	} {
		v := crawl.Stats{Hits: hits(tc.extra)}.Served(want)
		if v.OK() || v.String() != tc.want {
			t.Errorf("%v: %q, want %q", tc.extra, v, tc.want)
		}
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"http://H:1":           "/",
		"http://h:1/p/7?x=1#f": "/p/7?x=1",
		"/a%20b":               "/a%20b",
		"/robots.txt":          "/robots.txt",
	} {
		if got, err := crawl.KeyOf(in); err != nil || got != want {
			t.Errorf("KeyOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
