//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// TestHealth: a dead upstream is taken out by the health checks (requests
// all go to the live one, none fails), and brought back when it listens
// again; without checks, failures in a row take it out too.
func TestHealth(t *testing.T) {
	fdtest.Check(t)
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "live") }))
	defer live.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := ln.Addr().String()
	ln.Close()

	for _, active := range []bool{true, false} {
		al, _ := net.Listen("tcp", "127.0.0.1:0")
		adminAddr := al.Addr().String()
		al.Close()
		c := config{upstreams: []string{live.Listener.Addr().String(), deadAddr}, admin: adminAddr}
		if active {
			c.healthInterval = 50 * time.Millisecond
		}
		addr := startProxy(t, c)
		cl := client(t)
		get := func() int {
			resp, err := cl.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		if active {
			time.Sleep(200 * time.Millisecond) // a few checks
		}
		for i := range 20 {
			if code := get(); code != http.StatusOK {
				t.Fatalf("active=%v: request %d got %d", active, i, code)
			}
		}
		resp, err := cl.Get("http://" + adminAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("weft_proxy_upstream_up{upstream=%q} 0", deadAddr); !strings.Contains(string(m), want) {
			t.Fatalf("active=%v: /metrics lacks %q:\n%s", active, want, m)
		}
		if !active {
			continue
		}
		// The dead one comes back: a server on its address is found by
		// the next checks and gets requests again.
		back, err := net.Listen("tcp", deadAddr)
		if err != nil {
			t.Fatalf("listening again on %s: %v", deadAddr, err)
		}
		hits := make(chan struct{}, 100)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits <- struct{}{}
			io.WriteString(w, "back")
		})}
		go srv.Serve(back)
		time.Sleep(200 * time.Millisecond)
		for range 10 {
			get()
		}
		srv.Close()
		if len(hits) == 0 {
			t.Fatal("the upstream that came back got no request")
		}
	}
}
