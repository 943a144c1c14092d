package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/bench/crawler/internal/leaktest"
)

// serve serves the site and its counters apart, and stops, with its
// goroutines and fds, when its context ends.
func TestServe(t *testing.T) {
	leaktest.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, sln, crawl.Site{Pages: 10, Seed: 1}) }()

	tr := &http.Transport{}
	cl := &http.Client{Transport: tr}
	body := func(url string) string {
		resp, err := cl.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if b := body("http://" + ln.Addr().String() + "/robots.txt"); !strings.Contains(b, "Disallow: /private/") {
		t.Errorf("robots.txt: %q", b)
	}
	body("http://" + ln.Addr().String() + "/p/3")
	var st crawl.Stats
	if err := json.Unmarshal([]byte(body("http://"+sln.Addr().String()+"/stats?reset=1")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != 2 || st.Hits["/p/3"] != 1 || st.Hits["/robots.txt"] != 1 || st.Status["/p/3"] != 200 {
		t.Errorf("stats: %+v", st)
	}
	if b := body("http://" + ln.Addr().String() + "/stats"); strings.Contains(b, "requests") {
		t.Error("the counters are on the site's address too")
	}
	tr.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
