package crawl_test

import (
	"slices"
	"testing"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
)

func TestSiteDepth(t *testing.T) {
	s := crawl.Site{Pages: 200, Seed: 3}
	d, err := s.MaxDepth(100)
	if err != nil {
		t.Fatal(err)
	}
	at := func(depth int) []string {
		w, err := s.Want(depth)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	all, less, more := at(d), at(d-1), at(2*d)
	if !slices.Equal(all, more) || len(less) >= len(all) {
		t.Errorf("depth %d: %d URLs, %d at depth %d, %d at depth %d: not where the site stops growing", d, len(all), len(less), d-1, len(more), 2*d)
	}
	if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) || !slices.Contains(all, crawl.RobotsKey) || !slices.Contains(all, "/p/199") {
		t.Errorf("Want(%d) is not the sorted site with robots.txt: %q…", d, all[:5])
	}
	if _, err := s.MaxDepth(1); err == nil {
		t.Error("MaxDepth(1): no error, for a site deeper than 1")
	}
}
