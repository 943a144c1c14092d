// Command crawler is a polite, fast, resumable web crawler on weft: one
// event loop per core, a fiber per request, HTTP/1.1 with kept-alive
// connections over weft's sockets, and a frontier that fetches every URL
// once and keeps each one's depth exact.
//
//	crawler [flags] [SEED_URL ...]
//
// With no seed it starts a demo site on loopback (package demosite: a few
// hundred pages with cycles, redirects, a robots.txt and broken pages) and
// crawls it. It writes one JSON object per URL fetched (url, final_url,
// status, depth, bytes, content_type, links, error, ms, truncated; a
// redirect's hops each have theirs) to standard output or -out, a
// progress line and a summary to standard error, and exits 0 once the
// crawl is over, even if pages failed.
//
// The flags: -depth N (a seed is depth 0; default 3), -max-pages N (0: no
// limit), -concurrency N (requests in flight overall), -per-host N
// (in flight to one host), -delay D (least time between the starts of two
// requests to one host), -timeout D (a whole request), -max-body BYTES
// (longer bodies are cut and marked truncated), -scope host|domain|any,
// -robots=true|false, -user-agent S, -out FILE, -state FILE (a checkpoint:
// a crawl restarted with it goes on where it stopped, fetching nothing
// twice), -checkpoint D (how often to write it during the crawl),
// -progress, -loops N, -ca FILE (certificates to trust for https) and
// -demo-pages N. A bad flag or seed is a one-line message and exit
// status 2.
//
// SIGINT or SIGTERM stops dispatching, lets the requests in flight finish
// (a second signal cancels them), writes the checkpoint and the summary,
// and exits with status 130.
//
// docs/crawler.md has the design, the limits and the benchmark against
// colly.
package main
