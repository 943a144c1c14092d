package crawl

import (
	"slices"
	"strconv"
	"strings"
)

// RobotsKey is the Key of robots.txt, which Stats.Hits counts apart
// from the pages.
const RobotsKey = "/robots.txt"

// Stats are the site server's counters over one crawl: from the reset
// before it to the reading after it.
type Stats struct {
	Requests    int64          `json:"requests"`      // requests served, robots.txt included
	MaxInFlight int64          `json:"max_in_flight"` // most requests in the handler at once
	Conns       int64          `json:"conns"`         // TCP connections accepted
	Gzip        int64          `json:"gzip"`          // requests that accepted a gzip response
	CPUS        float64        `json:"cpu_s"`         // the server's own user+system CPU seconds
	Hits        map[string]int `json:"hits"`          // requests per page, by Key
	UserAgents  map[string]int `json:"user_agents"`   // requests per User-Agent header

	// Status is the status each page was answered with (the last
	// time, if more than once), by Key; Redirects is the Key of where
	// each page that redirected sent the client, "" if off the host.
	Status    map[string]int    `json:"status"`
	Redirects map[string]string `json:"redirects"`
}

// Served is what the server's counters say of a crawl.
type Served struct {
	Robots  int      // requests for robots.txt
	Missing []string // pages a correct crawl fetches that were not requested
	Extra   []string // pages requested that a correct crawl does not fetch
	Twice   []string // pages requested more than once
}

// Served compares the pages s counts with want, by Key; a robots.txt
// requested more than once is counted in Robots, not in Twice.
func (s Stats) Served(want []string) Served {
	var v Served
	got := map[string]bool{}
	for k, n := range s.Hits {
		got[k] = true
		switch {
		case k == RobotsKey:
			v.Robots = n
		case n > 1:
			v.Twice = append(v.Twice, k)
		}
	}
	slices.Sort(v.Twice)
	v.Missing, v.Extra = diff(got, want)
	return v
}

// OK reports whether the server served exactly the pages a correct
// crawl fetches, each once, robots.txt included.
func (v Served) OK() bool {
	return v.Robots == 1 && len(v.Missing) == 0 && len(v.Extra) == 0 && len(v.Twice) == 0
}

// String says what the server saw wrong, in a line, or "ok" ("robots.txt
// requested once" is right).
func (v Served) String() string {
	var parts []string
	if v.Robots != 1 {
		parts = append(parts, "robots.txt requested "+times(v.Robots))
	}
	add := func(what string, keys []string) {
		if len(keys) > 0 {
			parts = append(parts, pages(len(keys))+" "+what+" ("+sample(keys)+")")
		}
	}
	add("not requested", v.Missing)
	add("requested that a correct crawl does not fetch", v.Extra)
	add("requested more than once", v.Twice)
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, "; ")
}

func times(n int) string {
	switch n {
	case 0:
		return "never"
	case 1:
		return "once"
	}
	return strconv.Itoa(n) + " times"
}
