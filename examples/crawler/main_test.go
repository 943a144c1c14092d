//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/crawler/demosite"
	"github.com/weftio/weft/internal/fdtest"
)

// TestMain makes Go's own netpoller open its fds before any test counts
// fds, runs the test binary as the crawler command when asked (for the
// tests of signals and exit statuses), and fails the run if a goroutine
// is left behind.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		main()
		return
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	goleak.VerifyTestMain(m)
}

// childEnv makes the test binary run the crawler command itself.
const childEnv = "WEFT_CRAWLER_TEST_CHILD"

// A server is a test site that counts what it is asked: how often each
// path was requested, the requests in flight (most at once, per server),
// and when each request arrived.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	arrivals []time.Time
	inflight int
	peak     int
	shared   *counter // in flight across servers, if set
}

// counter counts requests in flight across several servers.
type counter struct {
	mu        sync.Mutex
	now, peak int
}

func (c *counter) add(d int) {
	c.mu.Lock()
	c.now += d
	c.peak = max(c.peak, c.now)
	c.mu.Unlock()
}

// serve starts a counting server for h on 127.0.0.1; the cleanup closes
// it.
func serve(t testing.TB, h http.Handler, shared *counter) *server {
	s := &server{hits: map[string]int{}, shared: shared}
	s.Server = newUnstartedCounting(s, h)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// newUnstartedCounting is a server for h that counts into s.
func newUnstartedCounting(s *server, h http.Handler) *httptest.Server {
	shared := s.shared
	return httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		s.arrivals = append(s.arrivals, time.Now())
		s.inflight++
		s.peak = max(s.peak, s.inflight)
		s.mu.Unlock()
		if shared != nil {
			shared.add(1)
			defer shared.add(-1)
		}
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	}))
}

// paths are the paths requested, sorted, and the ones requested more than
// once.
func (s *server) paths() (all, twice []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, n := range s.hits {
		all = append(all, p)
		if n > 1 {
			twice = append(twice, p)
		}
	}
	slices.Sort(all)
	slices.Sort(twice)
	return all, twice
}

func (s *server) url() string { return s.URL + "/" }

// count is how often path was requested.
func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// seen returns the most requests in flight at once and the arrival times.
func (s *server) seen() (peak int, arrivals []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, slices.Clone(s.arrivals)
}

// most is the most requests in flight at once.
func (c *counter) most() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// reset forgets the requests so far.
func (s *server) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits, s.arrivals, s.peak = map[string]int{}, nil, 0
	if s.shared != nil {
		s.shared.mu.Lock()
		s.shared.peak = 0
		s.shared.mu.Unlock()
	}
}

// crawl runs the crawler with the given command line to the end and
// returns its records and stats. It fails t on any error.
func crawl(t testing.TB, args ...string) ([]record, stats) {
	t.Helper()
	recs, st, err := crawlCtx(t, context.Background(), context.Background(), args...)
	if err != nil {
		t.Fatalf("crawler %v: %v", args, err)
	}
	return recs, st
}

// crawlCtx runs the crawler under stop and kill and returns what it wrote.
func crawlCtx(t testing.TB, stop, kill context.Context, args ...string) ([]record, stats, error) {
	t.Helper()
	c, err := parse(args, false)
	if err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	var out, errOut bytes.Buffer
	st, err := run(stop, kill, c, &out, &errOut)
	recs := decode(t, out.Bytes())
	if !strings.Contains(errOut.String(), "crawler: ") {
		t.Errorf("no summary on stderr: %q", errOut.String())
	}
	return recs, st, err
}

// decode reads JSON Lines records.
func decode(t testing.TB, b []byte) []record {
	t.Helper()
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// byURL indexes records by URL, failing t on a URL recorded twice.
func byURL(t testing.TB, recs []record) map[string]record {
	t.Helper()
	m := map[string]record{}
	for _, r := range recs {
		if _, dup := m[r.URL]; dup {
			t.Errorf("%s recorded twice", r.URL)
		}
		m[r.URL] = r
	}
	return m
}

// page is a small HTML page with links.
func page(links ...string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><body>")
	for _, l := range links {
		fmt.Fprintf(&b, "<a href=%q>x</a>\n", l)
	}
	b.WriteString("</body></html>")
	return b.String()
}

// pages serves a map of path to HTML, 404 elsewhere.
func pages(m map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := m[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	})
}

// failing is a writer that fails once it has taken n bytes.
type failing struct{ n int }

func (f *failing) Write(b []byte) (int, error) {
	if f.n -= len(b); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// TestOutputFails: when the records cannot be written, the crawl stops
// and run says why; an -out that cannot be opened is an error at once.
func TestOutputFails(t *testing.T) {
	fdtest.Check(t)
	s := serve(t, demosite.Handler(demosite.Options{Pages: 100, Latency: time.Millisecond}), nil)
	c, err := parse([]string{"-depth", "100", "-per-host", "2", s.url()}, false)
	if err != nil {
		t.Fatal(err)
	}
	st, err := run(context.Background(), context.Background(), c, &failing{n: 1000}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "disk full") || st.Pages > 50 {
		t.Errorf("a failing output: %v after %d pages", err, st.Pages)
	}
	c.out = filepath.Join(t.TempDir(), "no", "such", "dir", "out.jsonl")
	if _, err := run(context.Background(), context.Background(), c, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "-out") {
		t.Errorf("an -out that cannot be made: %v", err)
	}
}

// TestProgress: -progress refreshes one line on stderr (a carriage
// return, the counts, an erase to the end of the line) while the crawl
// runs, and erases it before the summary.
func TestProgress(t *testing.T) {
	fdtest.Check(t)
	s := serve(t, demosite.Handler(demosite.Options{Pages: 40, Latency: 20 * time.Millisecond}), nil)
	c, err := parse([]string{"-progress", "-depth", "100", "-per-host", "2", s.url()}, false)
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if _, err := run(context.Background(), context.Background(), c, io.Discard, &errOut); err != nil {
		t.Fatal(err)
	}
	out := errOut.String()
	lines := strings.Count(out, "\rpages ")
	if lines == 0 || !strings.Contains(out, " in flight ") || !strings.Contains(out, "\r"+clearLine+"crawler: ") {
		t.Errorf("stderr with -progress: %q", out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("the progress line is not one line: %q", out)
	}
}
