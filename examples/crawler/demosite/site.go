package demosite

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options shapes a generated site. Zero values get the documented defaults.
type Options struct {
	// Pages is the number of HTML pages, the home page included (default
	// 300).
	Pages int
	// Seed chooses the links: the site is a pure function of Seed, Pages
	// and Links.
	Seed int64
	// Links is how many links to other pages each page has (default 8).
	Links int
	// PageBytes is about how large a page's HTML is: filler text pads
	// each page to it (default 4096).
	PageBytes int
	// Latency is how long every response waits before it is written, to
	// play a server that thinks (default 0).
	Latency time.Duration
}

// Defaults of Options' zero values.
const (
	DefaultPages     = 300
	DefaultLinks     = 8
	DefaultPageBytes = 4096
)

func (o Options) norm() Options {
	if o.Pages <= 0 {
		o.Pages = DefaultPages
	}
	if o.Links <= 0 {
		o.Links = DefaultLinks
	}
	if o.PageBytes <= 0 {
		o.PageBytes = DefaultPageBytes
	}
	return o
}

// site is the model both Handler and URLs read: which page links where,
// in which form.
type site struct {
	o     Options
	links [][]int32  // page → linked pages
	forms [][]uint8  // page → form of each link
	extra [][]string // page → special paths it links to
}

// The forms a link to a page is written in; every one resolves to the
// page's path.
const (
	formPath      = iota // /p/7
	formRelative         // 7, ../p/7 (from the linking page's directory)
	formDots             // /zz/../p/7
	formDotRel           // ./7
	formFragment         // /p/7#s3
	formAbsolute         // http://HOST/p/7
	formMixedCase        // HtTp://HoSt/p/7
	formSpaces           // " /p/7\n": HTML strips the whitespace
	numForms
)

func newSite(o Options) *site {
	o = o.norm()
	s := &site{o: o, links: make([][]int32, o.Pages), forms: make([][]uint8, o.Pages), extra: make([][]string, o.Pages)}
	for i := range o.Pages {
		r := rand.New(rand.NewPCG(uint64(o.Seed), uint64(i)))
		ls := make([]int32, o.Links)
		fs := make([]uint8, o.Links)
		ls[0] = int32((i + 1) % o.Pages) // every page reachable
		for k := 1; k < o.Links; k++ {
			ls[k] = int32(r.IntN(o.Pages))
		}
		for k := range fs {
			fs[k] = uint8(r.IntN(numForms))
		}
		s.links[i], s.forms[i] = ls, fs
		switch i % 10 {
		case 3:
			s.extra[i] = append(s.extra[i], "/r/"+strconv.Itoa((i*7+3)%o.Pages))
		case 7:
			s.extra[i] = append(s.extra[i], "/missing/"+strconv.Itoa(i))
		}
	}
	n := o.Pages
	specials := []string{
		"/base/", "/malformed", "/r/" + strconv.Itoa(n/2), "/redir/3/" + strconv.Itoa(n/3),
		"/redir/1/" + strconv.Itoa(2*n/3), "/loop/a", "/r/away", "/r/private", "/missing/0", "/error",
		"/private/" + strconv.Itoa(n/4), "/private/open", "/files/report.pdf", "/files/logo.png",
		"/files/notes.txt",
	}
	for k, p := range specials {
		i := (k*7 + 1) % n
		s.extra[i] = append(s.extra[i], p)
	}
	return s
}

// pagePath is the path of page i.
func pagePath(i int) string {
	if i == 0 {
		return "/"
	}
	return "/p/" + strconv.Itoa(i)
}

// pageIndex is the page a path names, or -1.
func (s *site) pageIndex(path string) int {
	if path == "/" {
		return 0
	}
	rest, ok := strings.CutPrefix(path, "/p/")
	if !ok {
		return -1
	}
	return s.index(rest)
}

// index parses a page number written canonically (no sign, no leading
// zero) that names a page other than the home page, or returns -1.
func (s *site) index(v string) int {
	i, err := strconv.Atoi(v)
	if err != nil || i <= 0 || i >= s.o.Pages || strconv.Itoa(i) != v {
		return -1
	}
	return i
}

// allowed is robots.txt's verdict on a path; robotsTxt must agree.
func allowed(path string) bool {
	return !strings.HasPrefix(path, "/private/") || strings.HasPrefix(path, "/private/open")
}

const robotsTxt = `# robots.txt of the weft demo site
User-agent: *
Disallow: /private/
Allow: /private/open

`

// A node is what the site answers at a path, as a crawler sees it.
type node struct {
	status int
	// location is a redirect's Location header as sent; target is the
	// path it leads to on this host ("" when it leads off the host).
	location, target string
	// ctype is the Content-Type.
	ctype string
	// links are the paths on this host that a crawler follows from the
	// page: set for 2xx HTML pages only.
	links []string
}

// The special pages' links, as a crawler resolves them.
func (s *site) baseLinks() []string {
	n := s.o.Pages
	return []string{pagePath(1 % n), pagePath(2 % n), pagePath(3 % n), "/"}
}

func (s *site) malformedLinks() []string {
	n := s.o.Pages
	var ls []string
	for k := 4; k <= 9; k++ {
		ls = append(ls, pagePath(k%n))
	}
	return append(ls, "/")
}

const (
	html  = "text/html; charset=utf-8"
	plain = "text/plain; charset=utf-8"
)

// node returns what the site serves at path (a path and query, as a
// request's RequestURI without the host).
func (s *site) node(path string) node {
	if i := s.pageIndex(path); i >= 0 {
		return node{status: 200, ctype: html, links: s.pageLinks(i)}
	}
	redirect := func(code int, loc, target string) node {
		return node{status: code, location: loc, target: target, ctype: html}
	}
	switch {
	case path == "/robots.txt":
		return node{status: 200, ctype: plain}
	case path == "/r/away":
		return redirect(302, "http://example.invalid/away", "")
	case path == "/r/private":
		return redirect(302, "/private/secret", "/private/secret")
	case strings.HasPrefix(path, "/r/"):
		if i := s.index(path[3:]); i >= 0 || path == "/r/0" {
			return redirect(301, pagePath(max(i, 0)), pagePath(max(i, 0)))
		}
	case strings.HasPrefix(path, "/redir/"):
		k, rest, _ := strings.Cut(path[len("/redir/"):], "/")
		hops, err := strconv.Atoi(k)
		i := s.index(rest)
		if rest == "0" {
			i = 0
		}
		if err != nil || hops < 1 || hops > 3 || i < 0 || strconv.Itoa(hops) != k {
			break
		}
		if hops == 1 {
			return redirect(302, pagePath(i), pagePath(i))
		}
		// Relative: resolved against the request's URL.
		return redirect(302, "../"+strconv.Itoa(hops-1)+"/"+rest, "/redir/"+strconv.Itoa(hops-1)+"/"+rest)
	case path == "/loop/a":
		return redirect(302, "/loop/b", "/loop/b")
	case path == "/loop/b":
		return redirect(302, "a", "/loop/a")
	case path == "/error":
		return node{status: 500, ctype: html}
	case path == "/private/open":
		return node{status: 200, ctype: html, links: []string{"/", pagePath(1 % s.o.Pages)}}
	case strings.HasPrefix(path, "/private/"):
		return node{status: 200, ctype: html, links: []string{"/trap/private"}}
	case path == "/files/report.pdf":
		return node{status: 200, ctype: "application/pdf"}
	case path == "/files/logo.png":
		return node{status: 200, ctype: "image/png"}
	case path == "/files/notes.txt":
		return node{status: 200, ctype: plain}
	case path == "/base/":
		return node{status: 200, ctype: html, links: s.baseLinks()}
	case path == "/malformed":
		return node{status: 200, ctype: html, links: s.malformedLinks()}
	case strings.HasPrefix(path, "/trap/") || strings.HasPrefix(path, "/base/"):
		return node{status: 200, ctype: html}
	}
	return node{status: 404, ctype: html}
}

// pageLinks are the paths on this host page i links to, as a crawler
// resolves them, in page order, repeats included.
func (s *site) pageLinks(i int) []string {
	var ls []string
	for _, j := range s.links[i] {
		ls = append(ls, pagePath(int(j)))
	}
	ls = append(ls, pagePath(i)) // "#top" and href=""
	return append(ls, s.extra[i]...)
}

// URLs returns the exact set of paths (with their query, if any), sorted,
// that a correct crawler fetches from "/" to the given depth, obeying
// robots.txt and staying on the site's host: "/robots.txt" and every path
// it sends a request for, redirect hops included.
//
// Correct means: the seed "/" has depth 0 and a link adds one to the depth
// of the page it is on; a URL's depth is the least over the ways to reach
// it, whatever order the pages were fetched in; a redirect's target has the
// depth of the redirecting URL; a crawler fetches each URL within depth
// once, follows the links of 2xx HTML pages whose depth is below the
// given one (<a href> only, <base href> honoured, fragments dropped,
// dot-segments resolved, scheme and host compared without case), follows
// redirects (up to 10, none of the site's chains is longer) unless they
// lead off the host or to a path robots.txt disallows, stops at a redirect
// loop, and never parses 4xx/5xx or non-HTML bodies.
func URLs(o Options, depth int) []string {
	s := newSite(o)
	dist := map[string]int{"/": 0}
	// A 0-1 breadth-first search: a redirect costs 0, a link 1. The stack
	// is the front of the deque, the queue its back.
	var stack []string
	queue := []string{"/"}
	for len(stack)+len(queue) > 0 {
		var p string
		if k := len(stack) - 1; k >= 0 {
			p, stack = stack[k], stack[:k]
		} else {
			p, queue = queue[0], queue[1:]
		}
		d := dist[p]
		n := s.node(p)
		if t := n.target; t != "" && allowed(t) {
			if e, ok := dist[t]; !ok || e > d {
				dist[t] = d
				stack = append(stack, t)
			}
		}
		if n.status/100 != 2 || d >= depth {
			continue
		}
		for _, l := range n.links {
			if e, ok := dist[l]; allowed(l) && (!ok || e > d+1) {
				dist[l] = d + 1
				queue = append(queue, l)
			}
		}
	}
	out := make([]string, 0, len(dist)+1)
	out = append(out, "/robots.txt")
	for p := range dist {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
