// Command site serves the crawler benchmark's demo site, weft's
// examples/crawler/demosite, with net/http in a process of its own, so
// that the crawlers compared crawl the same server and none of them pays
// for it. It counts what it serves (requests per page, per User-Agent,
// the most in flight at once, connections accepted, its own CPU time)
// and shows the counts as JSON on a second address, kept apart so that
// the crawlers never see it:
//
//	site [-listen 127.0.0.1:0] [-stats 127.0.0.1:0] [-pages 2000] [-seed 1] [-links 0]
//
// It prints "listening on ADDR" and "stats on ADDR" to stderr once both
// listen. GET /stats on the stats address returns the counts (a
// crawl.Stats) since the start or the last reset; GET /stats?reset=1
// returns them and starts them again, atomically. SIGINT or SIGTERM shuts
// it down.
package main
