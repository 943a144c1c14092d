//go:build linux

// Command harness runs the echo benchmark: it starts the server of each
// implementation (bench/echo/server) as a process of its own, loads it
// with the client (bench/echo/client), another process, measures the
// server from /proc, and writes the report (markdown) and its charts
// (PNG). It builds nothing: scripts/bench_echo.sh builds the two binaries
// and runs it.
//
//	harness -bin DIR [-rounds 3] [-quick] [-md docs/echo-bench.md] [-img docs/img]
//
// Scenarios: request/response of 64 bytes at 50, 1,000 and 10,000
// connections (requests/s, p50, p99; server CPU µs per request), streaming
// 16 KiB chunks on 50 connections (MB/s echoed; server CPU s per GB), and
// 10,000 idle connections (server RSS per connection, after connecting
// and after one echo each). Every run has a fresh server process. A round
// runs every scenario on every implementation, the implementations in
// turn; each round starts the turn one implementation later, so that none
// always runs first or last. The report gives medians over the rounds and
// their ratios to net and to gnet.
//
// Server CPU is utime+stime of /proc/<pid>/stat, read when the client
// prints the start and the end of its measured window; memory is VmRSS of
// /proc/<pid>/status (the Go heap is not visible from outside).
//
//	harness -from results.json [-md ...] [-img ...]
//
// writes the report again from the results of an earlier run (-raw).
package main

import (
	"debug/buildinfo"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weftio/weft/bench/internal/harness"
)

// results is everything a run of the harness found: what the report is
// made from.
type results = harness.Results[meta, Run]

// meta is how the harness ran, for the report: its JSON begins with the
// Stamp's fields and ends with the Span's.
type meta struct {
	harness.Stamp // date, command, machine

	GoVersion   string     `json:"go_version"`
	GnetVersion string     `json:"gnet_version"`
	WeftRev     string     `json:"weft_rev"`
	Rounds      int        `json:"rounds"`
	Dur         string     `json:"dur"`
	Warmup      string     `json:"warmup"`
	Settle      string     `json:"settle"`
	Quick       bool       `json:"quick"`
	Impls       []string   `json:"impls"`
	Scenarios   []scenario `json:"scenarios"`

	harness.Span // load_start, load_end, elapsed
}

func main() {
	bin := flag.String("bin", "", "directory holding the server and client binaries")
	rounds := flag.Int("rounds", 3, "rounds (each runs every scenario on every implementation)")
	quick := flag.Bool("quick", false, "a smoke run: 1 round, 1.5 s windows (unless -rounds or -d are given)")
	dur := flag.Duration("d", 5*time.Second, "measured window of each rr and stream run")
	warmup := flag.Duration("warmup", time.Second, "load before each measured window")
	settle := flag.Duration("settle", time.Second, "wait before each RSS reading")
	implsF := flag.String("impls", "weft-callback,weft-fiber,net,gnet", "implementations, in round 1's order")
	rrConns := flag.String("rr-conns", "50,1000,10000", "connection counts of the request/response scenarios")
	streamConns := flag.Int("stream-conns", 50, "connections of the streaming scenario (0: none)")
	idleConns := flag.Int("idle-conns", 10000, "connections of the idle-memory scenario (0: none)")
	only := flag.String("only", "", "run only the scenarios whose names contain this")
	files := harness.FileFlags("docs/echo-bench.md")
	command := flag.String("cmd", "", "the command that reproduces this run, for the report")
	rev := flag.String("rev", "", "the weft revision, for the report")
	verbose := flag.Bool("v", false, "print the client's lines")
	flag.Parse()
	set := harness.GivenFlags()

	var res results
	if files.From != "" {
		if err := files.Load(&res); err != nil {
			fatal("%v", err)
		}
	} else {
		if *bin == "" {
			fatal("-bin is required (scripts/bench_echo.sh builds the binaries)")
		}
		if *quick {
			if !set["rounds"] {
				*rounds = 1
			}
			if !set["d"] {
				*dur = 1500 * time.Millisecond
			}
			if !set["warmup"] {
				*warmup = 500 * time.Millisecond
			}
			if !set["settle"] {
				*settle = 500 * time.Millisecond
			}
		}
		impls := strings.Split(*implsF, ",")
		var scs []scenario
		for _, f := range strings.Split(*rrConns, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 1 {
				fatal("-rr-conns: %q", f)
			}
			scs = append(scs, scenario{Name: fmt.Sprintf("rr-%d", n), Kind: "rr", Conns: n, Size: 64})
		}
		if *streamConns > 0 {
			scs = append(scs, scenario{Name: fmt.Sprintf("stream-%d", *streamConns), Kind: "stream", Conns: *streamConns, Size: 16 << 10})
		}
		if *idleConns > 0 {
			scs = append(scs, scenario{Name: fmt.Sprintf("idle-%d", *idleConns), Kind: "idle", Conns: *idleConns, Size: 64})
		}
		if *only != "" {
			scs = slices.DeleteFunc(scs, func(s scenario) bool { return !strings.Contains(s.Name, *only) })
		}
		res.Meta = meta{
			Stamp:     harness.NewStamp(*command),
			WeftRev:   *rev,
			Rounds:    *rounds,
			Dur:       dur.String(),
			Warmup:    warmup.String(),
			Settle:    settle.String(),
			Quick:     *quick,
			Impls:     impls,
			Scenarios: scs,
			Span:      harness.Begin(),
		}
		if bi, err := buildinfo.ReadFile(*bin + "/server"); err == nil {
			res.Meta.GoVersion = bi.GoVersion
			for _, d := range bi.Deps {
				if d.Path == "github.com/panjf2000/gnet/v2" {
					res.Meta.GnetVersion = d.Version
				}
			}
		} else {
			fatal("server binary: %v", err)
		}
		cfg := config{bin: *bin, dur: *dur, warmup: *warmup, settle: *settle, verbose: *verbose}
		turns := harness.Schedule(*rounds, scs, func(scenario) []string { return impls })
		res.Runs = harness.RunAll(turns, cfg.run, label, brief)
		res.Meta.End()
		if err := files.Save(res); err != nil {
			fatal("%v", err)
		}
	}
	if err := files.Write(analyse(res)); err != nil {
		fatal("%v", err)
	}
}

// label names a run in the progress output.
func label(t harness.Turn[scenario]) string {
	return fmt.Sprintf("%-12s %-14s", t.Scenario.Name, t.Impl)
}

// brief is one line about a run, for the progress output.
func brief(r Run) string {
	if r.Failed {
		return "FAILED"
	}
	switch r.Kind {
	case "rr":
		return fmt.Sprintf("%9.0f req/s  p50 %7.0f µs  p99 %7.0f µs  server %5.2f µs/req  (others %.1f CPU s)",
			r.RPS, r.P50us, r.P99us, r.CPUusPerReq, r.OtherCPUS)
	case "stream":
		return fmt.Sprintf("%7.0f MB/s  server %5.2f CPU s/GB  (others %.1f CPU s)", r.MBps, r.CPUsPerGB, r.OtherCPUS)
	case "idle":
		return fmt.Sprintf("RSS %5.1f MiB → %6.1f MiB open → %6.1f MiB echoed: %6.0f B/conn open, %6.0f B/conn echoed",
			float64(r.RSSBefore)/(1<<20), float64(r.RSSOpen)/(1<<20), float64(r.RSSEcho)/(1<<20), r.BytesPerConnO, r.BytesPerConnE)
	}
	return ""
}

// fatal ends the harness with a message.
var fatal = harness.Fatalf
