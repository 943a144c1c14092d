package crawl_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/crawler/internal/leaktest"
)

func get(t *testing.T, c *http.Client, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// server serves h, counted, and closes it all when the test ends.
func server(t *testing.T, h http.Handler) (*crawl.Counter, *httptest.Server, *http.Client) {
	t.Helper()
	c := crawl.NewCounter(h)
	srv := httptest.NewUnstartedServer(c)
	srv.Config.ConnState = c.ConnState
	srv.Start()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return c, srv, &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestCounterCounts(t *testing.T) {
	leaktest.Check(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "one")
		w.(http.Flusher).Flush() // through the counter's recorder
		io.WriteString(w, "two")
	})
	mux.HandleFunc("/redir/2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "../1", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusMovedPermanently)
	})
	c, srv, cl := server(t, mux)

	get(t, cl, srv.URL+"/page?x=1", map[string]string{"User-Agent": "a", "Accept-Encoding": "br, GZIP;q=1"})
	get(t, cl, srv.URL+"/page?x=1", map[string]string{"User-Agent": "a"})
	if resp := get(t, cl, srv.URL+"/chunked", map[string]string{"User-Agent": "b"}); len(resp.TransferEncoding) == 0 {
		t.Errorf("/chunked was not sent chunked: %v", resp.TransferEncoding)
	}
	get(t, cl, srv.URL+"/redir/2", nil)
	get(t, cl, srv.URL+"/away", nil)
	get(t, cl, srv.URL+"/none", nil)

	st := c.Snapshot(true)
	if st.Requests != 6 || st.Gzip != 1 || st.Conns != 1 || st.MaxInFlight != 1 {
		t.Errorf("requests %d, gzip %d, conns %d, in flight %d; want 6, 1, 1 (keep-alive), 1", st.Requests, st.Gzip, st.Conns, st.MaxInFlight)
	}
	wantHits := map[string]int{"/page?x=1": 2, "/chunked": 1, "/redir/2": 1, "/away": 1, "/none": 1}
	wantStatus := map[string]int{"/page?x=1": 200, "/chunked": 200, "/redir/2": 302, "/away": 301, "/none": 404}
	for k, n := range wantHits {
		if st.Hits[k] != n || st.Status[k] != wantStatus[k] {
			t.Errorf("%s: %d hits, status %d; want %d, %d", k, st.Hits[k], st.Status[k], n, wantStatus[k])
		}
	}
	if len(st.Redirects) != 2 || st.Redirects["/redir/2"] != "/1" || st.Redirects["/away"] != "" {
		t.Errorf("redirects %q, want /redir/2 → /1 and /away off the host", st.Redirects)
	}
	if st.UserAgents["a"] != 2 || st.UserAgents["b"] != 1 || st.UserAgents["Go-http-client/1.1"] != 3 {
		t.Errorf("user agents %v", st.UserAgents)
	}
	if st := c.Snapshot(false); st.Requests != 0 || len(st.Hits) != 0 || st.Conns != 0 {
		t.Errorf("after a reset: %+v", st)
	}
}

// The most requests in the handler at once: n requests held until all n
// are in.
func TestCounterInFlight(t *testing.T) {
	leaktest.Check(t)
	const n = 5
	var wg sync.WaitGroup
	wg.Add(n)
	c, srv, cl := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Done()
		wg.Wait()
	}))
	var clients sync.WaitGroup
	for range n {
		clients.Go(func() {
			resp, err := cl.Get(srv.URL + "/")
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	clients.Wait()
	if st := c.Snapshot(false); st.MaxInFlight != n || st.Requests != n || st.Conns != n {
		t.Errorf("in flight %d, requests %d, conns %d; want %d of each", st.MaxInFlight, st.Requests, st.Conns, n)
	}
}

func TestStatsHandler(t *testing.T) {
	leaktest.Check(t)
	c, srv, cl := server(t, http.NotFoundHandler())
	get(t, cl, srv.URL+"/x", nil)
	stats := httptest.NewServer(c.StatsHandler())
	defer stats.Close()
	read := func(q string) crawl.Stats {
		resp, err := cl.Get(stats.URL + "/stats" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st crawl.Stats
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := read(""); st.Requests != 1 || st.Hits["/x"] != 1 || st.CPUS <= 0 {
		t.Errorf("first read: %+v", st)
	}
	if st := read("?reset=1"); st.Requests != 1 {
		t.Errorf("a read does not reset: %+v", st)
	}
	if st := read(""); st.Requests != 0 {
		t.Errorf("?reset=1 resets: %+v", st)
	}
}
