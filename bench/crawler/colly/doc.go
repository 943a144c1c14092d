// Command colly is the crawler benchmark's rival: a crawler written with
// gocolly/colly v2, the most used Go crawler, as colly's documentation
// shows it (an asynchronous collector, a LimitRule, OnHTML("a[href]")
// visiting each link's href), with the settings of weft's examples/crawler
// given by flags of the same names:
//
//	colly [-depth 3] [-concurrency 64] [-per-host 64] [-delay 0] [-timeout 10s] [-max-body 10485760]
//	      [-scope host|any] [-robots=true] [-user-agent S] [-out FILE] [-shipped-store] SEED_URL
//
// It writes a JSON line (crawl.Record) per fetched URL, a response or an
// error, to -out (stdout by default), and a summary line to stderr; it
// exits 0 when the crawl is done, even if pages failed, and 2 on bad
// flags.
//
// How each setting maps onto colly:
//
//   - -depth: colly.MaxDepth(depth+1); colly counts the seed as depth 1,
//     weft as 0.
//   - -concurrency and -per-host: one LimitRule for every domain
//     (DomainGlob "*") with Parallelism min(concurrency, per-host). Its
//     one channel bounds the requests in flight over all hosts, which is
//     -concurrency; colly has no second, per-host bound beside it, so on a
//     crawl of one host (the benchmark's) both are that one number.
//   - -delay: the rule's Delay, which colly sleeps after each request
//     while still holding its slot: not quite weft's minimum gap between
//     starts to one host, and the same only at 0 (the benchmark's).
//   - -timeout: the http.Client's Timeout (SetRequestTimeout), which
//     covers the whole request, as weft's does.
//   - -max-body: colly.MaxBodySize; colly cuts the body silently, so a
//     body of exactly that length is marked truncated.
//   - -scope host: colly.AllowedDomains(the seed's host name); any: none.
//   - -robots: IgnoreRobotsTxt = !robots (colly ignores robots.txt by
//     default).
//   - connections: an http.Transport keeping up to min(concurrency,
//     per-host) idle connections per host (Go's default keeps 2, which
//     would reconnect for most requests at 64 in flight).
//
// Colly dedupes URLs (AllowURLRevisit false, the default), each
// redirect's target included. Three things a correct crawler does that
// colly does not do by itself are added, so that it fetches exactly the
// pages weft's crawler must, each once:
//
//   - a link's fragment is cut from its href before Request.Visit (colly
//     keeps it in the URL it dedupes, and would fetch "/p/7" again for
//     "/p/7#s3");
//   - the visited check marks in the same step (onceStore): colly's own
//     store checks and marks in two, and fetches a page twice when two
//     goroutines find its link at once (-shipped-store keeps it: crawls
//     of the benchmark's 2,000-page site at 64 in flight then fetched
//     from 0 to over 200 of its 2,418 URLs twice, as the site server's
//     counters show: bench/crawler/site, GET /stats);
//   - a redirect policy (SetRedirectHandler) stops at a loop and does not
//     follow a redirect to a path robots.txt disallows, using the
//     robots.txt colly fetched (read as it passes through the
//     transport).
//
// The second saves colly the fetches it would otherwise make twice.
package main
