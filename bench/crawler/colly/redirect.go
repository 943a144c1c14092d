package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/temoto/robotstxt"
)

// colly's default redirect policy follows a redirect to a path that
// robots.txt disallows (it checks robots.txt only for the URLs it is
// asked to visit) and follows a loop back to the first URL ten times
// (it lets a page redirect to itself, for cookies). A correct crawler
// does neither, so the benchmark's colly crawler sets its own policy,
// redirect below, with the robots.txt colly fetched: robotsTap reads it
// as it passes through the transport, which costs nothing more than the
// one fetch colly makes.

// errRedirectLoop is the error of a fetch whose redirects came back to a
// URL they had passed.
var errRedirectLoop = errors.New("redirect loop")

// maxRedirects is net/http's limit, which colly keeps: the 11th redirect
// is not followed, and its response is the fetch's.
const maxRedirects = 10

// robotsTap is an http.RoundTripper that keeps each host's robots.txt as
// it passes.
type robotsTap struct {
	next http.RoundTripper

	mu     sync.Mutex
	byHost map[string]*robotstxt.RobotsData
}

func newRobotsTap(next http.RoundTripper) *robotsTap {
	return &robotsTap{next: next, byHost: map[string]*robotstxt.RobotsData{}}
}

// RoundTrip passes req on, and parses the response if it is a host's
// robots.txt (the body is read whole and handed on unchanged).
func (t *robotsTap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || req.URL.Path != "/robots.txt" {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rd, err := robotstxt.FromStatusAndBytes(resp.StatusCode, body); err == nil {
		t.mu.Lock()
		t.byHost[req.URL.Host] = rd
		t.mu.Unlock()
	}
	return resp, nil
}

// allowed reports whether u may be fetched by agent, as colly's own
// check decides for the URLs it visits: allowed if robots.txt of u's host
// has not been seen or has no group for agent.
func (t *robotsTap) allowed(u *url.URL, agent string) bool {
	t.mu.Lock()
	rd := t.byHost[u.Host]
	t.mu.Unlock()
	if rd == nil {
		return true
	}
	g := rd.FindGroup(agent)
	if g == nil {
		return true
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.Query().Encode()
	}
	return g.Test(p)
}

// redirect is the crawl's redirect policy, called by colly after its own
// scope and revisit checks: it stops at a loop (an error), and does not
// follow the 11th redirect or one to a path robots.txt disallows (if
// robots is set): the redirect's own response is then the fetch's.
func redirect(tap *robotsTap, robots bool, agent string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		for _, v := range via {
			if v.URL.String() == req.URL.String() {
				return errRedirectLoop
			}
		}
		if len(via) >= maxRedirects || robots && !tap.allowed(req.URL, agent) {
			return http.ErrUseLastResponse
		}
		return nil
	}
}
