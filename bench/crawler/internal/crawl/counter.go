package crawl

import (
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Counter is an http.Handler that counts what the handler it wraps
// serves, for the site server and the tests: Snapshot reads the counts.
// Its methods are safe for concurrent use. The counts every request
// touches are atomics; the maps are under a mutex, taken once per
// request after it is served.
type Counter struct {
	next http.Handler

	requests, conns, gzip atomic.Int64
	inFlight, maxInFlight atomic.Int64

	mu        sync.Mutex
	hits      map[string]int    // by crawl.Key
	uas       map[string]int    // by User-Agent
	status    map[string]int    // by crawl.Key
	redirects map[string]string // by crawl.Key
	cpu0      float64           // CPU seconds at the last reset
}

// NewCounter wraps next.
func NewCounter(next http.Handler) *Counter {
	c := &Counter{next: next}
	c.reset()
	return c
}

// ServeHTTP counts r and serves it with the wrapped handler.
func (c *Counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.inFlight.Add(1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
	c.requests.Add(1)
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		c.gzip.Add(1)
	}
	rec := &recorder{ResponseWriter: w}
	func() {
		defer c.inFlight.Add(-1) // if the handler panics too
		c.next.ServeHTTP(rec, r)
	}()

	k := Key(r.URL)
	target, redirected := "", rec.status/100 == 3
	if redirected {
		target = redirectKey(r, w.Header().Get("Location"))
	}
	c.mu.Lock()
	c.hits[k]++
	c.uas[r.UserAgent()]++
	c.status[k] = rec.status
	if redirected {
		c.redirects[k] = target
	}
	c.mu.Unlock()
}

// redirectKey is the Key of a redirect's Location, resolved against the
// request, or "" if it leads off the request's host or is no URL.
func redirectKey(r *http.Request, loc string) string {
	u, err := r.URL.Parse(loc)
	if err != nil || u.Host != "" && !strings.EqualFold(u.Host, r.Host) {
		return ""
	}
	return Key(u)
}

// recorder is a ResponseWriter that keeps the status written.
type recorder struct {
	http.ResponseWriter
	status int
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the server's writer: the site sends some pages
// chunked, in two flushes.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap is for http.ResponseController.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// acceptsGzip reports whether Accept-Encoding values name gzip (a
// q=0 that refuses it is not worth parsing here: no crawler sends one).
func acceptsGzip(vals []string) bool {
	for _, v := range vals {
		for f := range strings.SplitSeq(v, ",") {
			f, _, _ = strings.Cut(f, ";")
			if strings.EqualFold(strings.TrimSpace(f), "gzip") {
				return true
			}
		}
	}
	return false
}

// ConnState counts the connections accepted: it is for the server's
// ConnState hook.
func (c *Counter) ConnState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.conns.Add(1)
	}
}

// Snapshot returns the counts since the last reset and, if reset, starts
// them again, atomically: no request's count falls between the two.
func (c *Counter) Snapshot(reset bool) Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Stats{
		Requests:    c.requests.Load(),
		MaxInFlight: c.maxInFlight.Load(),
		Conns:       c.conns.Load(),
		Gzip:        c.gzip.Load(),
		CPUS:        cpuSeconds() - c.cpu0,
		Hits:        c.hits,
		UserAgents:  c.uas,
		Status:      c.status,
		Redirects:   c.redirects,
	}
	if reset {
		c.resetLocked()
	} else {
		st.Hits, st.UserAgents, st.Status, st.Redirects = maps.Clone(c.hits), maps.Clone(c.uas), maps.Clone(c.status), maps.Clone(c.redirects)
	}
	return st
}

func (c *Counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetLocked()
}

func (c *Counter) resetLocked() {
	c.hits, c.uas, c.status, c.redirects = map[string]int{}, map[string]int{}, map[string]int{}, map[string]string{}
	c.requests.Store(0)
	c.conns.Store(0)
	c.gzip.Store(0)
	c.maxInFlight.Store(c.inFlight.Load())
	c.cpu0 = cpuSeconds()
}

// StatsHandler serves the counts as JSON (a Stats) at GET /stats, and
// resets them after reading at GET /stats?reset=1.
func (c *Counter) StatsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st := c.Snapshot(r.URL.Query().Get("reset") == "1")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	return mux
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
