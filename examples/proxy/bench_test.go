//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// BenchmarkProxy_Get is one keep-alive GET through the proxy (one loop) to
// an in-process upstream, from one hand-written client connection; it
// reports the proxy process's allocations per request (the whole process:
// client and upstream included, measured against the same exchange
// without the proxy in BenchmarkProxy_GetDirect).
func BenchmarkProxy_Get(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello, world\n") }))
	defer up.Close()
	addr := startProxy(b, config{upstreams: []string{up.Listener.Addr().String()}, loops: 1})
	benchGet(b, addr)
}

// BenchmarkProxy_GetDirect is the same exchange straight to the upstream.
func BenchmarkProxy_GetDirect(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello, world\n") }))
	defer up.Close()
	benchGet(b, up.Listener.Addr().String())
}

func benchGet(b *testing.B, addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	req := []byte("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "process-allocs/req")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N), "process-B/req")
}
