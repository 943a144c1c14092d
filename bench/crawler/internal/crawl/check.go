package crawl

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Key is how the benchmark names a page of the site: u's escaped path,
// "/" if it has none, and "?query" if it has a query. The host is not
// part of it: the site has one.
func Key(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// KeyOf is Key of the URL s, which may be absolute or a path.
func KeyOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	return Key(u), nil
}

// line is what Check reads of a Record: the rest of it may differ
// between crawlers without changing the verdict.
type line struct {
	URL      string `json:"url"`
	FinalURL string `json:"final_url"`
	Status   int    `json:"status"`
	Error    string `json:"error"`
}

// Result is what Check found in a crawl's output.
type Result struct {
	Lines   int      // JSON lines read
	Errors  int      // lines with an error (an HTTP error status counts if the crawler says so)
	Lost    []string // pages the server answered with 2xx whose line says there was no response (status 0): a timeout, a reset
	Missing []string // pages a correct crawl fetches that no line accounts for
	Extra   []string // pages lines name (as url or final_url) that a correct crawl does not fetch
	Twice   []string // pages that are the url of more than one line
	OffSite []string // URLs of another host than the site's
}

// OK reports whether the output accounts for exactly the pages a correct
// crawl fetches, each once, with a response for every page the server
// answered.
func (r Result) OK() bool {
	return len(r.Lost) == 0 && len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Twice) == 0 && len(r.OffSite) == 0
}

// String says what is wrong with the output, in a line, or "ok".
func (r Result) String() string {
	if r.OK() {
		return "ok"
	}
	var parts []string
	add := func(what string, keys []string) {
		if len(keys) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", pages(len(keys)), what, sample(keys)))
		}
	}
	add("missing from the output", r.Missing)
	add("in the output that a correct crawl does not fetch", r.Extra)
	add("on more than one line", r.Twice)
	add("answered by the server but recorded without a response", r.Lost)
	if len(r.OffSite) > 0 {
		parts = append(parts, fmt.Sprintf("%d URLs off the site (%s)", len(r.OffSite), sample(r.OffSite)))
	}
	return strings.Join(parts, "; ")
}

// pages is "1 page" or "n pages".
func pages(n int) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}

// sample is the first few of keys, for a message.
func sample(keys []string) string {
	const n = 5
	if len(keys) <= n {
		return strings.Join(keys, " ")
	}
	return strings.Join(keys[:n], " ") + fmt.Sprintf(" and %d more", len(keys)-n)
}

// Check reads a crawler's JSON Lines output from out and compares the
// pages it accounts for with want, the pages (by Key) a correct crawl of
// the site at host (as "127.0.0.1:8080") fetches; st is what the site
// server counted over the same crawl.
//
// A line accounts for its url, for its final_url if the last response
// came from there (its status is not 0 or 3xx), and for the redirects in
// between: a crawler writes one line per chain, under the URL it started
// at, so the hops that redirected in turn are found by following the
// server's redirects from the line's url (within want: the crawler may
// have stopped short, at a disallowed target). /robots.txt needs no line. It returns an error only
// if out cannot be read or holds a line that is not a JSON object with a
// url.
func Check(out io.Reader, host string, want []string, st Stats) (Result, error) {
	var r Result
	wanted := make(map[string]bool, len(want))
	for _, k := range want {
		wanted[k] = true
	}
	lines := map[string]int{}   // by key: lines with it as url
	named := map[string]bool{}  // url and final_url keys
	covered := map[string]bool{ // what the lines account for
		RobotsKey: true,
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // a line with a long error
	for sc.Scan() {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		r.Lines++
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			return r, fmt.Errorf("line %d: %w", r.Lines, err)
		}
		if l.URL == "" {
			return r, fmt.Errorf("line %d: no url", r.Lines)
		}
		k, ok, err := keyOn(l.URL, host)
		if err != nil {
			return r, fmt.Errorf("line %d: url: %w", r.Lines, err)
		}
		if !ok {
			r.OffSite = append(r.OffSite, l.URL)
			continue
		}
		lines[k]++
		named[k] = true
		// The hops after k that redirected in turn; the end of the
		// chain is accounted for by final_url or by a line of its own.
		covered[k] = true
		for hop := st.Redirects[k]; hop != "" && !covered[hop] && wanted[hop] && st.Status[hop]/100 == 3; hop = st.Redirects[hop] {
			covered[hop] = true
		}
		if l.FinalURL != "" && l.Status != 0 && l.Status/100 != 3 {
			// The last response came from final_url. After a 3xx,
			// final_url may be where the crawler chose not to go (off
			// the host, disallowed, fetched already), and with no
			// response at all it says nothing.
			fk, ok, err := keyOn(l.FinalURL, host)
			switch {
			case err != nil:
				return r, fmt.Errorf("line %d: final_url: %w", r.Lines, err)
			case !ok:
				r.OffSite = append(r.OffSite, l.FinalURL)
			default:
				named[fk], covered[fk] = true, true
			}
		}
		if l.Error != "" {
			r.Errors++
		}
		if l.Status == 0 && st.Status[k]/100 == 2 {
			r.Lost = append(r.Lost, k)
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	for k, n := range lines {
		if n > 1 {
			r.Twice = append(r.Twice, k)
		}
	}
	for _, k := range want {
		if !covered[k] {
			r.Missing = append(r.Missing, k)
		}
	}
	for k := range named {
		if !wanted[k] {
			r.Extra = append(r.Extra, k)
		}
	}
	for _, s := range [][]string{r.Twice, r.Lost, r.Missing, r.Extra} {
		slices.Sort(s)
	}
	return r, nil
}

// keyOn is the Key of the URL s, and whether s is on host: a path with
// no host is.
func keyOn(s, host string) (string, bool, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false, err
	}
	if u.Host != "" && !strings.EqualFold(u.Host, host) {
		return "", false, nil
	}
	return Key(u), true, nil
}

// diff is the keys of want missing from got and the keys of got not in
// want, each sorted.
func diff(got map[string]bool, want []string) (missing, extra []string) {
	w := make(map[string]bool, len(want))
	for _, k := range want {
		w[k] = true
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !w[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}
