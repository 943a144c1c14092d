// Command harness runs the crawler benchmark of issue 8: weft's
// examples/crawler against a crawler written with gocolly/colly v2
// (bench/crawler/colly), each crawling the same generated site
// (examples/crawler/demosite, served by bench/crawler/site in a process
// of its own) with the same settings, one after the other in rotating
// order, round after round; and writes the report (markdown) and its
// chart (PNG).
//
//	harness [-rounds 7] [-pages 2000] [-concurrency 64] [-quick] [-md docs/crawler-bench.md] [-img docs/img]
//
// It builds the four programs first (go build, into a temporary
// directory: weft's crawler in the weft module found at -root, the colly
// crawler, the site and the launcher in its bench module), unless -bin
// names a directory that holds them (weft-crawler, colly-crawler, site, launch). Every crawl is a
// fresh process, started through the launcher (bench/crawler/launch),
// which measures its wall time from just before its start to its exit,
// its CPU time and its peak resident memory (wait4's rusage: see package
// proc for why through a launcher). The harness checks each crawl
// against the site twice, from the crawler's JSON Lines and from the
// server's count of what it served: both must be exactly the URLs
// demosite.URLs names, each fetched once, or the crawl fails and its
// figures do not count. Pages per second are those URLs over the wall
// time.
//
//	harness -from results.json [-md ...] [-img ...]
//
// writes the report again from the results of an earlier run (-raw).
package main
