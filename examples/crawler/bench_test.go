//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"testing"

	"github.com/weftio/weft/examples/crawler/demosite"
)

// BenchmarkCrawl_DemoSite crawls a 2,000-page demo site, served in this
// process by net/http, at -concurrency 64; it reports pages per second
// (the server's work included: see docs/crawler-bench.md for the crawler
// alone, against colly, with the site in a process of its own).
func BenchmarkCrawl_DemoSite(b *testing.B) {
	s := serve(b, demosite.Handler(demosite.Options{Pages: 2000, Seed: 1}), nil)
	c, err := parse([]string{"-depth", "100", "-concurrency", "64", "-per-host", "64", s.url()}, false)
	if err != nil {
		b.Fatal(err)
	}
	pages := int64(0)
	for b.Loop() {
		st, err := run(context.Background(), context.Background(), c, new(discard), new(discard))
		if err != nil {
			b.Fatal(err)
		}
		pages += st.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}
