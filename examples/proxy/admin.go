//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	weftdebug "github.com/weftio/weft/debug"
)

// startAdmin serves /metrics (the Prometheus text format) and /healthz on
// addr with package net/http: the admin port is not the hot path.
func (p *proxy) startAdmin(addr string, out io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		for _, u := range p.ups {
			if !u.down.Load() {
				io.WriteString(w, "ok\n")
				return
			}
		}
		http.Error(w, "no upstream in service", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		p.writeMetrics(w)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	fmt.Fprintf(out, "admin on http://%s/metrics and /healthz\n", ln.Addr())
	return func() { srv.Close(); <-done }, nil
}

// writeMetrics writes the counters in the Prometheus text format: the
// proxy's, then every loop's (weft_loop_*: lag histogram, tasks, polls,
// fibers, timers) and the offload pool's, from package debug.
func (p *proxy) writeMetrics(w io.Writer) {
	fmt.Fprintf(w, "# HELP weft_proxy_client_connections Client connections open.\n# TYPE weft_proxy_client_connections gauge\nweft_proxy_client_connections %d\n", p.conns.Load())
	fmt.Fprintf(w, "# HELP weft_proxy_client_connections_total Client connections accepted.\n# TYPE weft_proxy_client_connections_total counter\nweft_proxy_client_connections_total %d\n", p.served.Load())
	fmt.Fprintf(w, "# HELP weft_proxy_tcp_bytes_total Bytes moved in tcp mode, both ways, by how: copied through the proxy's memory, or spliced (splice(2)).\n# TYPE weft_proxy_tcp_bytes_total counter\n")
	fmt.Fprintf(w, "weft_proxy_tcp_bytes_total{how=\"copy\"} %d\nweft_proxy_tcp_bytes_total{how=\"splice\"} %d\n", p.moved[0].Load(), p.moved[1].Load())
	series := []struct {
		name, help, typ string
		get             func(*upstream) int64
	}{
		{"weft_proxy_upstream_requests_total", "Requests (http) or connections (tcp) sent to the upstream.", "counter", func(u *upstream) int64 { return u.requests.Load() }},
		{"weft_proxy_upstream_failures_total", "Failed connects and missing or bad responses.", "counter", func(u *upstream) int64 { return u.failures.Load() }},
		{"weft_proxy_upstream_in_flight", "Requests (http) or connections (tcp) in flight.", "gauge", func(u *upstream) int64 { return u.active.Load() }},
		{"weft_proxy_upstream_up", "1 while the upstream is in service, 0 while taken out.", "gauge", func(u *upstream) int64 {
			if u.down.Load() {
				return 0
			}
			return 1
		}},
	}
	for _, s := range series {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", s.name, s.help, s.name, s.typ)
		for _, u := range p.ups {
			fmt.Fprintf(w, "%s{upstream=%q} %d\n", s.name, u.addr, s.get(u))
		}
	}
	weftdebug.WritePrometheus(w)
}
