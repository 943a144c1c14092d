// Package crawl holds what the programs of the crawler benchmark share:
// the demo site's options ([Site]), the JSON line both crawlers write
// ([Record]), the site server's counters ([Counter], which wraps the
// site's handler, and the [Stats] it reports) and the check of a crawl
// against the set of pages a correct crawler fetches ([Check], and
// [Stats.Served] for the server's side).
//
// The benchmark has three programs: the site server (bench/crawler/site)
// serves examples/crawler/demosite in a process of its own and counts what
// it serves; the colly crawler (bench/crawler/colly) crawls it with
// gocolly/colly v2; the harness (bench/crawler/harness) runs weft's
// examples/crawler and the colly crawler against it in turn and judges
// each crawl with [Check], from both sides: the crawler's JSON Lines and
// the server's count of the requests it served.
//
// URLs are compared by [Key]: the escaped path and the query of a URL on
// the site's one host, so "/a?b=1" and "http://127.0.0.1:8080/a?b=1" are
// the same page. Nothing here starts a goroutine or holds a resource;
// a Counter costs each request two atomic adds and a short critical
// section, the same for every crawler.
package crawl
