package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
)

// config is a crawl's settings, named after weft's examples/crawler's
// flags.
type config struct {
	seed                 string
	depth                int
	concurrency, perHost int
	delay, timeout       time.Duration
	maxBody              int
	scope                string
	robots               bool
	userAgent            string
	shippedStore         bool // keep colly's visited store
}

// summary counts a crawl's lines.
type summary struct {
	fetched, errors int
}

// fetch is a request in flight, from OnRequest to its line.
type fetch struct {
	url       string
	depth     int
	start     time.Time
	links     int
	responded bool  // OnResponse ran: the line waits for OnScraped
	err       error // an error after the response (parsing the page)
}

// run crawls from cfg.seed with colly and writes a crawl.Record per
// fetched URL to out, in the order the fetches end. It returns once every
// fetch has ended and the transport's idle connections are closed.
func run(cfg config, out io.Writer) (summary, error) {
	seed, err := url.Parse(cfg.seed)
	if err != nil {
		return summary{}, err
	}
	slots := min(cfg.concurrency, cfg.perHost)
	opts := []colly.CollectorOption{
		colly.Async(true),
		colly.MaxDepth(cfg.depth + 1), // colly's seed is depth 1
		colly.UserAgent(cfg.userAgent),
		colly.MaxBodySize(cfg.maxBody),
	}
	if cfg.scope == "host" {
		opts = append(opts, colly.AllowedDomains(seed.Hostname()))
	}
	c := colly.NewCollector(opts...)
	c.IgnoreRobotsTxt = !cfg.robots
	if !cfg.shippedStore {
		if err := c.SetStorage(&onceStore{}); err != nil {
			return summary{}, err
		}
		jar, err := cookiejar.New(nil)
		if err != nil {
			return summary{}, err
		}
		c.SetCookieJar(jar) // as colly's default: SetStorage's jar would go through the store's strings
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          max(cfg.concurrency, slots),
		MaxIdleConnsPerHost:   slots,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.timeout,
		ExpectContinueTimeout: time.Second,
	}
	defer tr.CloseIdleConnections()
	tap := newRobotsTap(tr)
	c.WithTransport(tap)
	c.SetRedirectHandler(redirect(tap, cfg.robots, cfg.userAgent))
	c.SetRequestTimeout(cfg.timeout)
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: slots, Delay: cfg.delay}); err != nil {
		return summary{}, err
	}

	var (
		mu      sync.Mutex // guards the rest, and out
		pending = map[uint32]*fetch{}
		sum     summary
		werr    error
	)
	write := func(f *fetch, r *colly.Response, ferr error) { // under mu
		rec := crawl.Record{URL: f.url, Depth: f.depth, Links: f.links, MS: time.Since(f.start).Milliseconds()}
		if r != nil {
			rec.Status = r.StatusCode
			if r.Request != nil && r.Request.URL != nil {
				rec.FinalURL = r.Request.URL.String()
			}
			if r.Headers != nil {
				rec.ContentType = r.Headers.Get("Content-Type")
			}
			rec.Bytes = len(r.Body)
			rec.Truncated = len(r.Body) >= cfg.maxBody
		}
		if ferr != nil {
			rec.Error = ferr.Error()
			sum.errors++
		}
		sum.fetched++
		b, err := json.Marshal(rec)
		if err == nil {
			b = append(b, '\n')
			_, err = out.Write(b)
		}
		if err != nil && werr == nil {
			werr = err
		}
	}

	c.OnRequest(func(r *colly.Request) {
		f := &fetch{url: r.URL.String(), depth: r.Depth - 1, start: time.Now()}
		mu.Lock()
		pending[r.ID] = f
		mu.Unlock()
	})
	c.OnResponse(func(r *colly.Response) {
		mu.Lock()
		if f := pending[r.Request.ID]; f != nil {
			f.responded = true
		}
		mu.Unlock()
	})
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		href, frag := cutFragment(e.Attr("href"))
		if href == "" && frag {
			return // "#top": this page
		}
		mu.Lock()
		if f := pending[e.Request.ID]; f != nil {
			f.links++
		}
		mu.Unlock()
		e.Request.Visit(href) // refused if seen, too deep, off scope, disallowed or no URL
	})
	c.OnError(func(r *colly.Response, err error) {
		mu.Lock()
		defer mu.Unlock()
		f := pending[r.Request.ID]
		switch {
		case f == nil:
		case f.responded: // parsing failed after the response: OnScraped writes the line
			f.err = err
		default:
			delete(pending, r.Request.ID)
			write(f, r, err)
		}
	})
	c.OnScraped(func(r *colly.Response) {
		mu.Lock()
		defer mu.Unlock()
		if f := pending[r.Request.ID]; f != nil {
			delete(pending, r.Request.ID)
			write(f, r, f.err)
		}
	})

	if err := c.Visit(seed.String()); err != nil {
		return summary{}, err
	}
	c.Wait()
	mu.Lock()
	defer mu.Unlock()
	return sum, werr
}

// cutFragment is the link href without its fragment, and whether it had
// one: colly dedupes URLs with their fragments, and would fetch "/p/7"
// again for a link to "/p/7#s3". The fragment is cut from the href as
// written, before colly resolves it, so that each link is parsed as
// often as colly's own Request.Visit(href) parses it; a '#' can only
// start the fragment of a URL reference.
func cutFragment(href string) (string, bool) {
	if i := strings.IndexByte(href, '#'); i >= 0 {
		return href[:i], true
	}
	return href, false
}
