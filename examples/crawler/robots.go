//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"strings"
)

// robotsMaxBytes is how much of a robots.txt is read and parsed: RFC 9309
// asks crawlers to parse at least 500 KiB.
const robotsMaxBytes = 500 << 10

// A rule is one Allow or Disallow line of the group that applies to us.
type rule struct {
	Pattern string `json:"p"`
	Allow   bool   `json:"a,omitempty"`
}

// rules are what robots.txt says to this crawler: the rules of the groups
// for its own product token if there is any, else those of the groups for
// "*". Matching follows RFC 9309: the rule with the longest pattern that
// matches the path wins, Allow on a tie, and no match allows; "*" in a
// pattern matches any run of characters and a final "$" anchors it to the
// end. DisallowAll stands for a robots.txt that could not be fetched
// (a 5xx or a network error), which RFC 9309 says to treat as a complete
// disallow.
type rules struct {
	Rules       []rule `json:"r,omitempty"`
	DisallowAll bool   `json:"x,omitempty"`
}

// agentToken is the product token of a User-Agent string, which robots.txt
// groups are matched against: "weft-crawler" for "weft-crawler/1.0 (+url)".
func agentToken(ua string) string {
	if i := strings.IndexAny(ua, "/ \t"); i >= 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}

// parseRobots reads a robots.txt for the agent whose product token is
// token (lower case). Lines it does not understand are skipped.
func parseRobots(body []byte, token string) *rules {
	var mine, star []rule
	haveMine := false
	var agents []string // of the group being read
	inRules := false    // a rule line has been seen since the last User-agent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), robotsMaxBytes)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		switch key {
		case "user-agent":
			if inRules {
				agents, inRules = nil, false
			}
			agents = append(agents, strings.ToLower(value))
		case "allow", "disallow":
			inRules = true
			if value == "" {
				continue // "Disallow:" with nothing matches nothing
			}
			r := rule{Pattern: value, Allow: key == "allow"}
			for _, a := range agents {
				switch a {
				case token:
					mine, haveMine = append(mine, r), true
				case "*":
					star = append(star, r)
				}
			}
		}
	}
	for _, a := range agents {
		if a == token {
			haveMine = true // a group for us with no rules: everything allowed
		}
	}
	if haveMine {
		return &rules{Rules: mine}
	}
	return &rules{Rules: star}
}

// allowed reports whether the rules let the crawler fetch path (a path
// and query, as sent in a request).
func (r *rules) allowed(path string) bool {
	if path == "/robots.txt" {
		return true
	}
	if r.DisallowAll {
		return false
	}
	best, allow := -1, true
	for _, ru := range r.Rules {
		if n := len(ru.Pattern); n >= best && match(ru.Pattern, path) {
			if n > best || ru.Allow {
				allow = ru.Allow
			}
			best = n
		}
	}
	return allow
}

// match reports whether a robots.txt pattern matches path: from the start,
// "*" standing for any run of characters, a final "$" for the end of the
// path, and otherwise any continuation of path allowed.
func match(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	// Greedy matching with backtracking to the last "*", linear in
	// practice; without an anchor, a match of a prefix is enough.
	p, s := 0, 0
	star, mark := -1, 0
	for {
		if p == len(pattern) && (!anchored || s == len(path)) {
			return true
		}
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case p < len(pattern) && s < len(path) && pattern[p] == path[s]:
			p++
			s++
		case star >= 0 && mark < len(path):
			mark++
			p, s = star+1, mark
		default:
			return false
		}
	}
}
