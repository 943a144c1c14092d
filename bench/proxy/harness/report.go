package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/weftio/weft/bench/internal/harness"
)

// median of xs, or 0 if there are none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return harness.NewStat(xs).Med
}

// stat is an implementation's medians at one connection count.
type stat struct {
	rps, p50, p99, cpu float64 // req/s, µs, µs, µs/request
	errs               int
}

func statsOf(all []result, impl string, conns int) stat {
	var rps, p50, p99, cpu []float64
	errs := 0
	for _, r := range all {
		if r.impl == impl && r.conns == conns {
			rps = append(rps, r.rps)
			p50 = append(p50, float64(r.p50.Microseconds()))
			p99 = append(p99, float64(r.p99.Microseconds()))
			cpu = append(cpu, float64(r.cpuPerReq.Nanoseconds())/1e3)
			errs += r.errs
		}
	}
	return stat{median(rps), median(p50), median(p99), median(cpu), errs}
}

// render writes the report.
func render(all []result, conns []int, rounds int, d time.Duration, cmdLine string, started time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reverse-proxy benchmark: weft against nginx and httputil.ReverseProxy\n\n")
	fmt.Fprintf(&b, "<!-- Written by bench/proxy/harness: rerun the command below instead of editing. -->\n\n")
	fmt.Fprintf(&b, "Reproduce with `%s`. Run %s UTC, %d rounds of a %v wrk window per proxy and connection count, proxies in rotating order; medians over the rounds. %d CPUs, %s.\n\n",
		cmdLine, started.UTC().Format("2006-01-02 15:04"), rounds, d, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Each proxy gets one core's worth of parallelism: weft's examples/proxy with `-loops 1`, nginx with `worker_processes 1` (keep-alive 512 to the upstream, HTTP/1.1), Go's httputil.ReverseProxy with GOMAXPROCS=1. The upstream is net/http (GOMAXPROCS=1) answering `GET /hello` with 13 bytes; wrk runs one thread. All share the machine's cores, so requests/s is bounded by the whole set; the proxy's CPU per request (user+system from /proc over the window, nginx's master and worker together) is the figure least bent by that.\n\n")
	if slices.Contains(impls, "weft-park") {
		fmt.Fprintf(&b, "weft-park is the same proxy binary with `-wait park` and GOMAXPROCS at the core count: its loop parks in Go's netpoller when it waits, and a second P is free to spin, as before the proxy's loops blocked in epoll_wait with one P per loop (docs/proxy.md).\n\n")
	}
	fmt.Fprintf(&b, "| connections | proxy | requests/s | vs httputil | vs nginx | p50 µs | p99 µs | proxy CPU µs/request | vs httputil | errors |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range conns {
		hu, ng := statsOf(all, "httputil", n), statsOf(all, "nginx", n)
		for _, impl := range impls {
			s := statsOf(all, impl, n)
			fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f× | %.2f× | %.0f | %.0f | %.1f | %.2f× | %d |\n",
				n, impl, s.rps, s.rps/hu.rps, s.rps/ng.rps, s.p50, s.p99, s.cpu, s.cpu/hu.cpu, s.errs)
		}
	}
	fmt.Fprintf(&b, "\nTargets (issue 7), on the medians, and run against run per round:\n\n")
	for _, n := range conns {
		w, hu, ng := statsOf(all, "weft", n), statsOf(all, "httputil", n), statsOf(all, "nginx", n)
		rounds1, rounds2 := perRound(all, n, rounds)
		fmt.Fprintf(&b, "- %d connections: more requests/s and less CPU per request than httputil.ReverseProxy: %s (%.2f× the requests/s, %.2f× the CPU; held in %s rounds); at least 0.8× nginx's requests/s: %s (%.2f×; held in %s rounds)\n",
			n, harness.Verdict(w.rps > hu.rps && w.cpu < hu.cpu, false), w.rps/hu.rps, w.cpu/hu.cpu, rounds1, harness.Verdict(w.rps >= 0.8*ng.rps, false), w.rps/ng.rps, rounds2)
	}
	fmt.Fprintf(&b, "\n## Every run\n\n| round | connections | proxy | requests/s | p50 µs | p99 µs | CPU µs/request | errors |\n|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range all {
		fmt.Fprintf(&b, "| %d | %d | %s | %.0f | %d | %d | %.1f | %d |\n", r.round, r.conns, r.impl, r.rps, r.p50.Microseconds(), r.p99.Microseconds(), float64(r.cpuPerReq.Nanoseconds())/1e3, r.errs)
	}
	return b.String()
}

// perRound counts the rounds, of those with runs at conns, in which weft
// beat httputil on both figures, and reached 0.8× nginx's requests/s.
func perRound(all []result, conns, rounds int) (string, string) {
	byRound := map[int]map[string]result{}
	for _, r := range all {
		if r.conns != conns {
			continue
		}
		if byRound[r.round] == nil {
			byRound[r.round] = map[string]result{}
		}
		byRound[r.round][r.impl] = r
	}
	beatHttputil := harness.InRounds(rounds, func(round int) (bool, bool) {
		m := byRound[round]
		w, hu := m["weft"], m["httputil"]
		return w.rps > hu.rps && w.cpuPerReq < hu.cpuPerReq, m != nil
	})
	nearNginx := harness.InRounds(rounds, func(round int) (bool, bool) {
		m := byRound[round]
		return m["weft"].rps >= 0.8*m["nginx"].rps, m != nil
	})
	return beatHttputil, nearNginx
}
