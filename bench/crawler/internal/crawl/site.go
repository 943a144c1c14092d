package crawl

import (
	"fmt"
	"slices"

	"github.com/weftio/weft/examples/crawler/demosite"
)

// Site is the demo site of a benchmark: the site server serves the
// demosite these options make and the harness checks crawls against the
// pages demosite says a correct crawl fetches; both make their options
// with Options, so they agree.
type Site struct {
	Pages int   // pages of the site
	Seed  int64 // the generator's seed
	Links int   // links per page; 0 leaves demosite's default
}

// Options are the demosite options of s.
func (s Site) Options() demosite.Options {
	return demosite.Options{Pages: s.Pages, Seed: s.Seed, Links: s.Links}
}

// Want is the pages, by Key and sorted, that a correct crawl of s from
// "/" fetches to depth.
func (s Site) Want(depth int) ([]string, error) {
	urls := demosite.URLs(s.Options(), depth)
	keys := make([]string, 0, len(urls))
	for _, u := range urls {
		k, err := KeyOf(u)
		if err != nil {
			return nil, fmt.Errorf("demosite.URLs: %q: %w", u, err)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// MaxDepth is how many links deep, at most, the site's pages are from
// "/": the least depth at which Want stops growing, that is where a crawl
// to any greater depth fetches nothing more. It gives up at limit and
// returns an error.
func (s Site) MaxDepth(limit int) (int, error) {
	prev := len(demosite.URLs(s.Options(), 0))
	for d := 1; d <= limit; d++ {
		n := len(demosite.URLs(s.Options(), d))
		if n == prev {
			return d - 1, nil
		}
		prev = n
	}
	return 0, fmt.Errorf("the site is still growing at depth %d", limit)
}
