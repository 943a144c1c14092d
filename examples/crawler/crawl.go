//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	wsync "github.com/weftio/weft/sync"
)

// maxRedirects is how many redirects a chain follows before it is given up.
const maxRedirects = 10

// errInterrupted is what run returns when its stop context ended the crawl
// before it was over.
var errInterrupted = errors.New("interrupted")

// A crawler is one crawl: the coordinator, which owns the frontier and
// runs on the first loop, and the loops' clients, which do the requests.
type crawler struct {
	c       config
	l       *loop.Loop // the coordinator's
	fr      *frontier
	scope   *scope
	token   string // robots.txt product token
	workers []*worker

	global   *wsync.Semaphore // -concurrency
	changed  wsync.Event      // set when what the dispatcher waits for may have changed
	inflight wsync.WaitGroup  // requests started and not settled
	busy     int              // requests in flight
	started  int64            // pages started, for -max-pages (robots.txt not counted)

	out    *output
	st     stats
	pages0 int64 // pages of the runs before this one
	seeds  []string
	began  time.Time
	fatal  error              // what stopped the crawl: records or a checkpoint that could not be written
	halt   context.CancelFunc // stops dispatching
	stderr io.Writer
}

// stats are the crawl's counters, kept across a resume.
type stats struct {
	Pages      int64 `json:"pages"`       // records written
	OK         int64 `json:"ok"`          // 2xx
	HTTPErrors int64 `json:"http_errors"` // 4xx and 5xx
	Failed     int64 `json:"failed"`      // records with an error
	Truncated  int64 `json:"truncated"`
	Disallowed int64 `json:"disallowed"` // URLs robots.txt kept us from
	Robots     int64 `json:"robots"`     // robots.txt files fetched
	Requests   int64 `json:"requests"`   // every request sent, redirect hops included

	Left        int           `json:"-"` // URLs still queued at the end
	Interrupted bool          `json:"-"`
	Elapsed     time.Duration `json:"-"`
}

// A worker is a loop's client and its inbox of requests from the
// coordinator.
type worker struct {
	l     *loop.Loop
	cl    *client
	inbox []task      // the worker loop's state
	ev    wsync.Event // the worker loop's state: inbox not empty
	load  int         // the coordinator's state: requests handed to it and not settled
}

// A task is a request handed to another loop, and the promise of its
// response (a future of the coordinator's loop).
type task struct {
	rq request
	p  future.Promise[response]
}

// run crawls as c says, writing records to stdout (or -out) and the
// progress line and summary to stderr, until the crawl is over or stop is
// done; then it lets the requests in flight finish, unless kill is done
// too, which cancels them. It writes the checkpoint (-state) and the
// summary in every case, and returns errInterrupted if stop ended the
// crawl early.
func run(stop, kill context.Context, c config, stdout, stderr io.Writer) (stats, error) {
	roots, err := tlsRoots(c.ca)
	if err != nil {
		return stats{}, err
	}
	var st *snapshot
	if c.state != "" {
		if st, err = loadState(c.state); err != nil {
			return stats{}, err
		}
	}
	seeds := c.seeds
	if st != nil {
		seeds = append(append([]string{}, st.Seeds...), seeds...)
	}
	if len(seeds) == 0 {
		u, closeDemo, err := startDemo(c.demoPages)
		if err != nil {
			return stats{}, fmt.Errorf("demo site: %w", err)
		}
		defer closeDemo()
		fmt.Fprintf(stderr, "crawler: no seed URL given: crawling the demo site (%d pages) at %s\n", c.demoPages, u)
		seeds = []string{u}
	}
	cr := &crawler{c: c, fr: newFrontier(c.depth), token: agentToken(c.userAgent),
		global: wsync.NewSemaphore(int64(c.concurrency)),
		stderr: stderr, began: time.Now()}
	cr.scope = newScope(c.scope, seeds)
	cr.seeds = dedupe(seeds)

	// The other loops: each runs a fiber that takes requests from its
	// inbox, until the coordinator is done.
	wctx, stopWorkers := context.WithCancel(kill)
	defer stopWorkers()
	var wg sync.WaitGroup
	errs := make(chan error, c.loops)
	ready := make(chan *worker, c.loops)
	for range c.loops - 1 {
		w := &worker{cl: newClient(&c, roots)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fiber.Run(wctx, func(ctx context.Context) error { return w.serve(ctx, ready) })
		}()
	}
	cr.workers = append(cr.workers, &worker{cl: newClient(&c, roots)})
	for range c.loops - 1 {
		select {
		case w := <-ready:
			cr.workers = append(cr.workers, w)
		case err := <-errs:
			stopWorkers()
			wg.Wait()
			return stats{}, err
		}
	}
	err = fiber.Run(kill, func(ctx context.Context) error {
		return cr.main(ctx, stop, st, stdout)
	})
	stopWorkers()
	wg.Wait()
	close(errs)
	for e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			err = errors.Join(err, e)
		}
	}
	cr.st.Elapsed = time.Since(cr.began)
	if err == nil && cr.st.Interrupted {
		err = errInterrupted
	}
	return cr.st, err
}

// serve is a worker loop's main fiber: it starts a fiber for each request
// posted to its inbox and resolves the request's promise with the
// response, until ctx ends.
func (w *worker) serve(ctx context.Context, ready chan<- *worker) error {
	w.l = fiber.Loop(ctx)
	ready <- w // buffered: never blocks
	var running wsync.WaitGroup
	defer func() {
		running.Wait(context.WithoutCancel(ctx))
		w.cl.closeIdle()
	}()
	for {
		if err := w.ev.Wait(ctx); err != nil {
			return nil
		}
		w.ev.Clear()
		tasks := w.inbox
		w.inbox = nil
		for _, t := range tasks {
			running.Add(1)
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				defer running.Done()
				t.p.Resolve(w.cl.fetch(ctx, t.rq))
				return struct{}{}, nil
			})
		}
	}
}

// main is the coordinator's fiber: it restores the checkpoint, adds the
// seeds, dispatches until the crawl is over or stopped, waits for the
// requests in flight, and writes the checkpoint and the summary.
func (cr *crawler) main(ctx context.Context, stop context.Context, st *snapshot, stdout io.Writer) error {
	cr.l = fiber.Loop(ctx)
	cr.workers[0].l = cr.l
	defer cr.workers[0].cl.closeIdle()
	if st != nil {
		if err := cr.restore(st); err != nil {
			return err
		}
	}
	for _, s := range cr.seeds {
		cr.fr.add(s, 0)
	}
	w, closeOut, err := openOutput(ctx, cr.c.out, stdout, st != nil)
	if err != nil {
		return err
	}
	defer closeOut()
	cr.out = newOutput(w, func(err error) { cr.fail(fmt.Errorf("writing records: %w", err)) })
	written := fiber.Go(ctx, cr.out.run)

	// dctx ends dispatching: on stop, on a fatal error, or when killed.
	dctx, halt := context.WithCancel(ctx)
	defer halt()
	cr.halt = halt
	defer context.AfterFunc(stop, halt)()

	// Helpers that run beside the crawl: the progress line and the
	// periodic checkpoint; aux ends them.
	aux, endAux := context.WithCancel(ctx)
	var helpers []*future.Future[struct{}]
	if cr.c.progress {
		helpers = append(helpers, fiber.Go(aux, cr.progress))
	}
	if cr.c.state != "" && cr.c.checkpoint > 0 {
		helpers = append(helpers, fiber.Go(aux, cr.checkpointEvery))
	}

	cr.dispatch(ctx, dctx)
	cr.inflight.Wait(context.WithoutCancel(ctx))
	endAux()
	for _, h := range helpers {
		fiber.Await(context.WithoutCancel(ctx), h)
	}

	// What follows must happen even when killed.
	final := context.WithoutCancel(ctx)
	cr.st.Left = cr.fr.left
	cr.st.Interrupted = (stop.Err() != nil || ctx.Err() != nil) && cr.st.Left > 0
	if err := cr.out.flush(final); err != nil && cr.fatal == nil {
		cr.fatal = fmt.Errorf("writing records: %w", err)
	}
	cr.out.close()
	fiber.Await(final, written)
	if cr.c.progress {
		writeErr(final, cr.stderr, "\r"+clearLine)
	}
	var saveErr error
	if cr.c.state != "" {
		saveErr = cr.save(final)
	}
	cr.st.Elapsed = time.Since(cr.began)
	writeErr(final, cr.stderr, cr.summary()+"\n")
	return errors.Join(cr.fatal, saveErr)
}

// fail records a fatal error and stops dispatching.
func (cr *crawler) fail(err error) {
	if cr.fatal == nil {
		cr.fatal = err
	}
	if cr.halt != nil {
		cr.halt()
	}
}

// dispatch starts requests, within -concurrency, -per-host, -delay and the
// depth window, until nothing is left that could start or dctx ends.
func (cr *crawler) dispatch(ctx, dctx context.Context) {
	for dctx.Err() == nil {
		if cr.global.Acquire(dctx, 1) != nil {
			return
		}
		if !cr.next(ctx, dctx) {
			cr.global.Release(1)
			return
		}
	}
}

// next waits until a request may start and starts it; it reports false
// once none ever will (the crawl is over) or dctx ends.
func (cr *crawler) next(ctx, dctx context.Context) bool {
	for {
		cr.changed.Clear()
		j, robotsFor, wait := cr.pick()
		switch {
		case robotsFor != nil:
			cr.startRobots(ctx, robotsFor)
			return true
		case j.e != nil:
			cr.startPage(ctx, j.e)
			return true
		case wait == 0 && cr.busy == 0:
			return false // nothing in flight, nothing that a clock would release
		}
		if wait > 0 {
			t := cr.l.AfterFunc(wait, cr.changed.Set)
			err := cr.changed.Wait(dctx)
			t.Stop()
			if err != nil {
				return false
			}
		} else if cr.changed.Wait(dctx) != nil {
			return false
		}
	}
}

// pick finds what may start now, going round the hosts that have jobs:
// a host's robots.txt before anything else of it, then its next job.
// Otherwise it returns how long until a host's -delay is over (0 if none
// is waiting for that).
func (cr *crawler) pick() (j job, robotsFor *host, wait time.Duration) {
	fr := cr.fr
	now := cr.l.Now()
	soonest := int64(-1)
	if cr.c.maxPages > 0 && cr.started >= int64(cr.c.maxPages) {
		return job{}, nil, 0
	}
	for examined := 0; examined < len(fr.active); {
		if fr.rr >= len(fr.active) {
			fr.rr = 0
		}
		h := fr.active[fr.rr]
		next, ok := h.peek()
		if !ok { // no jobs left: off the list
			h.active = false
			last := len(fr.active) - 1
			fr.active[fr.rr], fr.active[last] = fr.active[last], nil
			fr.active = fr.active[:last]
			continue
		}
		fr.rr++
		examined++
		if h.inflight >= cr.c.perHost || (cr.c.robots && h.robots == nil && h.fetching) {
			continue
		}
		if at := h.last + int64(cr.c.delay); cr.c.delay > 0 && now < at {
			if soonest < 0 || at < soonest {
				soonest = at
			}
			continue
		}
		if cr.c.robots && h.robots == nil {
			return job{}, h, 0
		}
		if next.depth > fr.min+depthWindow {
			continue
		}
		h.take()
		if cr.c.robots {
			if !h.robots.allowed(pathOf(next.e.url)) {
				cr.disallow(next.e)
				fr.rr-- // the same host again
				examined--
				continue
			}
		}
		return next, nil, 0
	}
	if soonest >= 0 {
		wait = time.Duration(soonest - now)
	}
	return job{}, nil, wait
}

// begin counts a request that starts now on h and returns the worker to
// send it to: the least loaded loop.
func (cr *crawler) begin(h *host) *worker {
	h.inflight++
	h.last = cr.l.Now()
	cr.busy++
	cr.inflight.Add(1)
	w := cr.workers[0]
	for _, o := range cr.workers[1:] {
		if o.load < w.load {
			w = o
		}
	}
	w.load++
	return w
}

// end undoes begin once the request is settled.
func (cr *crawler) end(h *host, w *worker) {
	h.inflight--
	w.load--
	cr.busy--
	cr.global.Release(1)
	cr.inflight.Done()
	cr.changed.Set()
}

// fetchOn performs rq on w's loop: in the calling fiber if that is the
// coordinator's own loop, else by handing it to w's inbox and awaiting
// the response's future.
func (cr *crawler) fetchOn(ctx context.Context, w *worker, rq request) response {
	if w.l == cr.l {
		return w.cl.fetch(ctx, rq)
	}
	f, p := future.New[response](cr.l)
	if err := w.l.Post(func() { w.inbox = append(w.inbox, task{rq, p}); w.ev.Set() }); err != nil {
		return response{err: err}
	}
	res, err := fiber.Await(ctx, f)
	if err != nil {
		return response{err: err}
	}
	return res
}

// startRobots fetches h's robots.txt in a fiber of its own.
func (cr *crawler) startRobots(ctx context.Context, h *host) {
	h.fetching = true
	w := cr.begin(h)
	fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
		defer cr.end(h, w)
		res := cr.fetchOn(ctx, w, request{url: h.origin + "/robots.txt", robots: true})
		h.fetching = false
		if ctx.Err() != nil {
			return struct{}{}, nil // killed: fetched again next time
		}
		cr.st.Robots++
		cr.st.Requests++
		switch {
		case res.err != nil || res.status >= 500:
			h.robots = &rules{DisallowAll: true} // RFC 9309: unreachable
			why := fmt.Sprint(res.err)
			if res.err == nil {
				why = fmt.Sprintf("status %d", res.status)
			}
			cr.warn(ctx, fmt.Sprintf("%s/robots.txt: %s: nothing of the host is fetched (RFC 9309: an unreachable robots.txt disallows all)", h.origin, why))
		case res.status/100 == 2:
			h.robots = parseRobots(res.body, cr.token)
		default: // 4xx, or redirects that led nowhere: no rules
			h.robots = &rules{}
		}
		return struct{}{}, nil
	})
}

// warn writes a line to stderr, over the progress line if there is one.
func (cr *crawler) warn(ctx context.Context, msg string) {
	prefix := "crawler: "
	if cr.c.progress {
		prefix = "\r" + clearLine + prefix
	}
	writeErr(context.WithoutCancel(ctx), cr.stderr, prefix+msg+"\n")
}

// startPage fetches e in a fiber of its own and settles the outcome.
func (cr *crawler) startPage(ctx context.Context, e *entry) {
	e.state = running
	cr.started++
	w := cr.begin(e.h)
	fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
		defer cr.end(e.h, w)
		res := cr.fetchOn(ctx, w, request{url: e.url})
		if ctx.Err() != nil {
			// Killed: the request was cancelled, not done. It is queued
			// again so that the checkpoint has it.
			e.state = queued
			cr.fr.requeue(e)
			cr.started--
			return struct{}{}, nil
		}
		cr.settle(e, res)
		return struct{}{}, nil
	})
}

// disallow drops e, which robots.txt forbids.
func (cr *crawler) disallow(e *entry) {
	e.state = disallowed
	e.chain = nil
	cr.fr.count(e.depth, -1)
	cr.st.Disallowed++
}

// settle takes in the response to e and writes its record: a redirect's
// target is queued (at e's depth) unless it is a loop, the 11th redirect
// in a row, out of scope, disallowed by a robots.txt known already, or a
// URL the crawl has already; a page's links are queued.
func (cr *crawler) settle(e *entry, res response) {
	cr.st.Requests++
	rec := record{URL: e.url, FinalURL: e.url, Status: res.status, Depth: int(e.depth), Bytes: res.bytes,
		ContentType: res.ctype, Links: len(res.links), MS: float64(res.took.Microseconds()) / 1000, Truncated: res.truncated}
	switch to := res.location; {
	case res.err != nil:
		rec.Error = res.err.Error()
	case to != "":
		rec.FinalURL = to
		rec.Error = cr.redirect(e, to)
	case res.html:
		cr.follow(e, res.links)
	}
	e.state = done
	e.chain = nil
	cr.fr.count(e.depth, -1)
	cr.st.Pages++
	switch {
	case rec.Error != "":
		cr.st.Failed++
	case res.status/100 == 2:
		cr.st.OK++
	case res.status >= 400:
		cr.st.HTTPErrors++
	}
	if rec.Truncated {
		cr.st.Truncated++
	}
	cr.out.write(&rec)
}

// redirect follows e's redirect to the normalised URL to, and returns why
// it does not, if it does not.
func (cr *crawler) redirect(e *entry, to string) string {
	ch := e.chain
	if ch == nil {
		ch = &chain{urls: []string{e.url}}
	}
	switch {
	case len(ch.urls) > maxRedirects:
		return fmt.Sprintf("stopped after %d redirects", maxRedirects)
	case ch.visits(to):
		return "redirect loop"
	case !cr.scope.in(to):
		return "redirect out of scope"
	}
	if t := cr.fr.seen[to]; t != nil {
		// Not an error: the target has (or will have) a record of its
		// own. A redirect costs no depth.
		e.next = t
		cr.fr.lower(t, e.depth)
		if t.state == disallowed {
			return "redirect to a URL robots.txt disallows"
		}
		return ""
	}
	t := cr.fr.newEntry(to, e.depth)
	e.next = t
	if r := t.h.robots; cr.c.robots && r != nil && !r.allowed(pathOf(to)) {
		t.state = disallowed
		cr.st.Disallowed++
		return "redirect to a URL robots.txt disallows"
	}
	t.chain = &chain{urls: append(slices.Clip(ch.urls), to)}
	cr.fr.enqueue(t)
	return ""
}

// follow queues the in-scope links of page e (done now), and keeps them
// for a repair if e's depth may still drop.
func (cr *crawler) follow(e *entry, links []string) {
	d := e.depth
	for _, u := range links {
		if !cr.scope.in(u) {
			continue
		}
		if d < cr.fr.maxDepth {
			e.kids = append(e.kids, cr.fr.add(u, d+1))
		} else {
			e.far = append(e.far, u)
		}
	}
	if len(e.kids)+len(e.far) > 0 {
		cr.fr.keep(e)
	}
}

// tlsRoots is the TLS configuration for https: the system's roots, plus
// the certificates in the -ca file.
func tlsRoots(ca string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, fmt.Errorf("-ca: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca %s: no PEM certificate in it", ca)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// A scope says which URLs the crawl stays on (-scope).
type scope struct {
	mode  string
	seeds map[string]bool // hosts (host:port) or registrable domains of the seeds
	cache map[string]bool // origin → in scope
}

func newScope(mode string, seeds []string) *scope {
	s := &scope{mode: mode, seeds: map[string]bool{}, cache: map[string]bool{}}
	for _, u := range seeds {
		s.seeds[s.key(hostOf(u))] = true
	}
	return s
}

// key is what two URLs must share to be in the same scope.
func (s *scope) key(host string) string {
	if s.mode != "domain" {
		return host
	}
	name := (&url.URL{Host: host}).Hostname()
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name // an IP address, localhost, a bare public suffix
}

// in reports whether the normalised URL (or origin) u is in scope.
func (s *scope) in(u string) bool {
	if s.mode == "any" {
		return true
	}
	origin, _ := originOf(u)
	v, ok := s.cache[origin]
	if !ok {
		v = s.seeds[s.key(hostOf(origin))]
		s.cache[origin] = v
	}
	return v
}

// dedupe drops repeats, keeping the order.
func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
