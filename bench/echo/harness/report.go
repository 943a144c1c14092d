//go:build linux

package main

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/weftio/weft/bench/internal/harness"
)

// metrics are the figures a run of each kind yields.
var metrics = map[string]harness.Metrics[Run]{
	"rr": {
		"rps":    func(r Run) float64 { return r.RPS },
		"p50":    func(r Run) float64 { return r.P50us },                     // µs
		"p99":    func(r Run) float64 { return r.P99us },                     // µs
		"cpu":    func(r Run) float64 { return r.CPUusPerReq },               // server CPU µs per request
		"user":   func(r Run) float64 { return r.UserusPerReq },              // of which user mode, µs
		"rdreq":  func(r Run) float64 { return perReq(r, r.ServerReads) },    // read calls per request
		"wrreq":  func(r Run) float64 { return perReq(r, r.ServerWrites) },   // write calls per request
		"cores":  func(r Run) float64 { return r.ServerCore },                // server cores busy
		"others": func(r Run) float64 { return r.OtherCPUS / r.HostWindowS }, // other processes' CPU, cores
	},
	"stream": {
		"mbps":   func(r Run) float64 { return r.MBps },
		"cpugb":  func(r Run) float64 { return r.CPUsPerGB }, // server CPU s per GB
		"cores":  func(r Run) float64 { return r.ServerCore },
		"others": func(r Run) float64 { return r.OtherCPUS / r.HostWindowS },
	},
	"idle": {
		"rss0": func(r Run) float64 { return float64(r.RSSBefore) / (1 << 20) }, // RSS before, MiB
		"open": func(r Run) float64 { return r.BytesPerConnO },                  // bytes per connection, connected
		"echo": func(r Run) float64 { return r.BytesPerConnE },                  // bytes per connection, after one echo
		"rsse": func(r Run) float64 { return float64(r.RSSEcho) / (1 << 20) },   // RSS with the connections idle, MiB
	},
}

// perReq is n system calls over the harness's window per request in the
// client's window.
func perReq(r Run, n int64) float64 {
	if r.Requests == 0 || r.HostWindowS == 0 {
		return math.NaN()
	}
	return float64(n) / r.HostWindowS * r.WindowS / float64(r.Requests)
}

// scenarioReport is a scenario's figures.
type scenarioReport = harness.Section[scenario, Run]

// report is the harness's results, analysed.
type report struct {
	Meta      meta
	Runs      []Run
	Scenarios []*scenarioReport
	Targets   []target
}

// target is one of the targets, checked in one scenario.
type target struct {
	What     string
	Scenario string
	Figures  string
	Held     string // "yes", "no", or "n/a"
	Rounds   string // in how many rounds, run against run, it held
}

// analyse reduces the runs to a table per scenario and checks the
// targets.
func analyse(res results) *report {
	rep := &report{Meta: res.Meta, Runs: res.Runs}
	for _, sc := range res.Meta.Scenarios {
		sr := &scenarioReport{Sc: sc, Table: harness.NewTable(sc.Name, res.Meta.Impls, res.Runs, metrics[sc.Kind])}
		rep.Scenarios = append(rep.Scenarios, sr)
	}
	rep.Targets = targets(rep)
	return rep
}

func targets(rep *report) []target {
	var ts []target
	// rounds says in how many rounds a target held, run against run.
	rounds := func(held func(round int) (bool, bool)) string { return harness.InRounds(rep.Meta.Rounds, held) }
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind != "rr" {
			continue
		}
		cb, gn, nt, fb := sr.Med("weft-callback", "cpu"), sr.Med("gnet", "cpu"), sr.Med("net", "cpu"), sr.Med("weft-fiber", "cpu")
		nan := math.IsNaN(cb) || math.IsNaN(gn) || math.IsNaN(nt)
		ts = append(ts, target{
			What:     "callback face: server CPU per request ≤ gnet's and ≤ 0.8 × net's",
			Scenario: sr.Sc.Name,
			Figures:  fmt.Sprintf("%s µs vs gnet %s µs, 0.8 × net = %s µs", f2(cb), f2(gn), f2(0.8*nt)),
			Held:     harness.Verdict(cb <= gn && cb <= 0.8*nt, nan),
			Rounds: rounds(func(round int) (bool, bool) {
				c, ok1 := sr.Runs["weft-callback"][round]
				g, ok2 := sr.Runs["gnet"][round]
				n, ok3 := sr.Runs["net"][round]
				return c.CPUusPerReq <= g.CPUusPerReq && c.CPUusPerReq <= 0.8*n.CPUusPerReq, ok1 && ok2 && ok3
			}),
		})
		nan = math.IsNaN(fb) || math.IsNaN(nt)
		ts = append(ts, target{
			What:     "fiber face: server CPU per request ≤ net's",
			Scenario: sr.Sc.Name,
			Figures:  fmt.Sprintf("%s µs vs net %s µs", f2(fb), f2(nt)),
			Held:     harness.Verdict(fb <= nt, nan),
			Rounds: rounds(func(round int) (bool, bool) {
				f, ok1 := sr.Runs["weft-fiber"][round]
				n, ok2 := sr.Runs["net"][round]
				return f.CPUusPerReq <= n.CPUusPerReq, ok1 && ok2
			}),
		})
	}
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind != "idle" {
			continue
		}
		cb, fb, nt := sr.Med("weft-callback", "echo"), sr.Med("weft-fiber", "echo"), sr.Med("net", "echo")
		ts = append(ts, target{
			What:     "callback face: memory per idle connection ≤ 600 bytes",
			Scenario: sr.Sc.Name,
			Figures:  fmt.Sprintf("%s B", f0(cb)),
			Held:     harness.Verdict(cb <= 600, math.IsNaN(cb)),
			Rounds: rounds(func(round int) (bool, bool) {
				c, ok := sr.Runs["weft-callback"][round]
				return c.BytesPerConnE <= 600, ok
			}),
		})
		ts = append(ts, target{
			What:     "fiber face: memory per idle connection ≤ net's",
			Scenario: sr.Sc.Name,
			Figures:  fmt.Sprintf("%s B vs net %s B", f0(fb), f0(nt)),
			Held:     harness.Verdict(fb <= nt, math.IsNaN(fb) || math.IsNaN(nt)),
			Rounds: rounds(func(round int) (bool, bool) {
				f, ok1 := sr.Runs["weft-fiber"][round]
				n, ok2 := sr.Runs["net"][round]
				return f.BytesPerConnE <= n.BytesPerConnE, ok1 && ok2
			}),
		})
	}
	return ts
}

// The report's number formats, named short for the tables.
var f0, f1, f2, fx = harness.F0, harness.F1, harness.F2, harness.Fx

// Markdown is the report in markdown, showing the charts in imgRef if
// withCharts.
func (rep *report) Markdown(imgRef string, withCharts bool) string {
	m := rep.Meta
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(harness.Heading{
		Title:   "Echo benchmark: weft netpoll against net and gnet",
		Writer:  "bench/echo/harness",
		Command: cmp.Or(m.Command, "scripts/bench_echo.sh"),
		Date:    m.Date, Elapsed: m.Elapsed, Quick: m.Quick,
	}.String())
	p("- Machine: %s. Other processes may share it: "+
		"the load average was %.2f at the start and %.2f at the end, and the tables show the CPU other processes used during each window. "+
		"**The figures may be noisy**; read the ± (half the range over the rounds, as a percentage of the median) before a difference.\n",
		m.Machine, m.LoadStart, m.LoadEnd)
	p("- Go %s; gnet %s; weft %s.\n", strings.TrimPrefix(m.GoVersion, "go"), cmp.Or(m.GnetVersion, "?"), cmp.Or(m.WeftRev, "(working tree)"))
	p("- %d round(s); each rr and stream run loads the server for a %s warm-up, then measures a %s window. Medians over the rounds.\n\n", m.Rounds, m.Warmup, m.Dur)

	p("## Setup\n\n")
	p("Server and client are separate processes on the same %d CPUs, talking over loopback TCP: the client (package net, a goroutine per connection) "+
		"competes with the server for the cores, so requests/s is what the pair manages on this machine, not the server's capacity. "+
		"Server CPU per request (utime+stime from `/proc/<pid>/stat` over the measured window, divided by the requests completed in it) "+
		"is the figure the targets are about. \"Server cores busy\" is that CPU per second of window. \"Others' CPU\" is every other process on the machine over the same window "+
		"(busy time of `/proc/stat` less server and client). Loopback TCP does much of the receiving side's work in the sender's system call, "+
		"so each side's CPU includes part of the other's network stack. \"Of which user\" is the part of the server's CPU in user mode (utime), the rest being the kernel's (stime); "+
		"\"reads + writes\" are the server's read and write system calls (syscr and syscw of `/proc/<pid>/io`, which count read/readv and write/writev) per request: weft's two faces make theirs through io_uring (`netpoll.WithIOUring`, on by default), "+
		"batched, so they do not show there (docs/netpoll.md says how they are made). Every run starts a fresh server process.\n\n", m.Machine.NProc)
	p("| server | what it runs |\n|---|---|\n")
	p("| weft-callback | `netpoll.Serve` on `loop.NewGroup(GOMAXPROCS, loop.WithBlockingWait())` (%d loops, each blocking in epoll_wait when idle), a Handler whose OnData writes the bytes back (queued bytes wait for OnDrain); no goroutine or fiber per connection; reads and writes batched through an io_uring per loop (WithIOUring's default) |\n", m.Machine.NProc)
	p("| weft-fiber | one `fiber.Run` (one loop) per core, each `netpoll.Listen` with `WithReusePort` (%d loops), a fiber per connection reading and writing back through a 16 KiB buffer; reads and writes batched through an io_uring per loop (WithIOUring's default) |\n", m.Machine.NProc)
	p("| net | `net.Listen`, a goroutine per connection reading and writing back through a 16 KiB buffer (the same loop as weft-fiber's; io.Copy's loop without its 32 KiB buffer and splice path) |\n")
	p("| gnet | gnet %s, `WithMulticore(true)` (%d event loops and an acceptor), OnTraffic writes back `c.Next(-1)` |\n\n", m.GnetVersion, m.Machine.NProc)
	p("Scenarios:\n\n")
	for _, sc := range m.Scenarios {
		switch sc.Kind {
		case "rr":
			p("- **%s**: %s connections, each writing a %d-byte request and reading the echo before the next (checked); requests/s, latency p50/p99 (over every request completed in the window), server CPU µs per request.\n", sc.Name, f0(float64(sc.Conns)), sc.Size)
		case "stream":
			p("- **%s**: %s connections, each writing %d-byte chunks of a known pattern while reading the echo back concurrently (checked); MB/s echoed (10⁶ bytes read back per second), server CPU seconds per GB echoed.\n", sc.Name, f0(float64(sc.Conns)), sc.Size)
		case "idle":
			p("- **%s**: server RSS (VmRSS of `/proc/<pid>/status`; the Go heap is not visible from outside) before any connection, after %s connections are open, and after one %d-byte echo on each, the connections then idle; bytes per connection = ΔRSS / %s. Each reading waits %s first.\n", sc.Name, f0(float64(sc.Conns)), sc.Size, f0(float64(sc.Conns)), cmp.Or(m.Settle, "1s"))
		}
	}
	p("\n")

	if lo, hi, ok := kernelShare(rep); ok {
		p("Of the server's CPU per request, the kernel's part (stime) is %.0f-%.0f %% across servers and request/response scenarios: "+
			"what the servers do differently in user space sits on a system-call cost they share (the read and write calls per request are in the tables).\n\n", lo, hi)
	}

	if len(rep.Targets) > 0 {
		p("## Targets\n\n")
		p("| target | scenario | figures (medians) | held | held run against run, per round |\n|---|---|---|---|---|\n")
		for _, t := range rep.Targets {
			p("| %s | %s | %s | %s | %s |\n", t.What, t.Scenario, t.Figures, t.Held, t.Rounds)
		}
		p("\n\"Held\" compares the medians; the last column compares, round by round, the runs made one after the other.")
		if lo, hi, ok := cpuSpread(rep); ok {
			p(" The server CPU per request moves by ±%.0f-%.0f %% between rounds here: a CPU target that holds on the medians but not in every round, "+
				"or fails by less than the ±, is within the noise.", lo, hi)
		}
		p("\n\n")
	}

	p("## Results\n\n")
	for _, sr := range rep.Scenarios {
		net, gn := "net", "gnet"
		ratio := func(impl, key string, other string) string {
			return fx(sr.Med(impl, key) / sr.Med(other, key))
		}
		runs := func(st *harness.ImplStats) string { return fmt.Sprintf("%d/%d", st.OK, st.Total) }
		switch sr.Sc.Kind {
		case "rr":
			p("### %s: request/response, %d bytes, %s connections\n\n", sr.Sc.Name, sr.Sc.Size, f0(float64(sr.Sc.Conns)))
			p("| server | requests/s | vs net | vs gnet | p50 µs | p99 µs | server CPU µs/request | vs net | vs gnet | of which user µs | reads + writes /request | server cores busy | others' CPU (cores) | runs ok |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, st := range sr.Impls {
				p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s + %s | %s | %s | %s |\n", st.Impl,
					harness.WithRange(st.M["rps"], f0), ratio(st.Impl, "rps", net), ratio(st.Impl, "rps", gn),
					f0(st.M["p50"].Med), f0(st.M["p99"].Med),
					harness.WithRange(st.M["cpu"], f2), ratio(st.Impl, "cpu", net), ratio(st.Impl, "cpu", gn),
					f2(st.M["user"].Med), f2(st.M["rdreq"].Med), f2(st.M["wrreq"].Med),
					f2(st.M["cores"].Med), f2(st.M["others"].Med), runs(st))
			}
		case "stream":
			p("### %s: streaming, %s-byte chunks, %s connections\n\n", sr.Sc.Name, f0(float64(sr.Sc.Size)), f0(float64(sr.Sc.Conns)))
			p("| server | MB/s echoed | vs net | vs gnet | server CPU s/GB | vs net | vs gnet | server cores busy | others' CPU (cores) | runs ok |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, st := range sr.Impls {
				p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", st.Impl,
					harness.WithRange(st.M["mbps"], f0), ratio(st.Impl, "mbps", net), ratio(st.Impl, "mbps", gn),
					harness.WithRange(st.M["cpugb"], f2), ratio(st.Impl, "cpugb", net), ratio(st.Impl, "cpugb", gn),
					f2(st.M["cores"].Med), f2(st.M["others"].Med), runs(st))
			}
		case "idle":
			p("### %s: memory of %s idle connections\n\n", sr.Sc.Name, f0(float64(sr.Sc.Conns)))
			p("| server | RSS before (MiB) | RSS idle (MiB) | bytes/conn, connected | bytes/conn, after one echo | vs net | vs gnet | runs ok |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, st := range sr.Impls {
				p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", st.Impl,
					f1(st.M["rss0"].Med), f1(st.M["rsse"].Med), harness.WithRange(st.M["open"], f0), harness.WithRange(st.M["echo"], f0),
					ratio(st.Impl, "echo", net), ratio(st.Impl, "echo", gn), runs(st))
			}
		}
		p("\n")
	}

	if withCharts {
		b.WriteString(harness.ChartsSection(rep.chartFiles(), imgRef))
	}
	b.WriteString(harness.ProblemsSection(rep.Runs,
		"None: every run completed, every echo matched, no server reported a connection error, and every server exited on SIGTERM."))

	p("## Every run\n\n<details><summary>%d runs</summary>\n\n", len(rep.Runs))
	p("| round | scenario | server | started (UTC) | requests/s or MB/s | p50 / p99 µs | server CPU µs/req or s/GB | server CPU s (user) | client CPU s | others' CPU s | window s | dial s | RSS before / open / idle MiB | B/conn open / echo | ok |\n")
	p("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rep.Runs {
		rate, lat, cpu, rss, per := "", "", "", "", ""
		switch r.Kind {
		case "rr":
			rate, lat, cpu = f0(r.RPS), f0(r.P50us)+" / "+f0(r.P99us), f2(r.CPUusPerReq)
		case "stream":
			rate, cpu = f0(r.MBps), f2(r.CPUsPerGB)
		case "idle":
			mib := func(v int64) string { return f1(float64(v) / (1 << 20)) }
			rss = mib(r.RSSBefore) + " / " + mib(r.RSSOpen) + " / " + mib(r.RSSEcho)
			per = f0(r.BytesPerConnO) + " / " + f0(r.BytesPerConnE)
		}
		p("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Round, r.Scenario, r.Impl,
			harness.Started(r.Start), rate, lat, cpu,
			cpuS(r), nz(r.ClientCPUS), nz(r.OtherCPUS), nz(r.WindowS), f2(r.DialS), rss, per, r.Outcome())
	}
	p("\n</details>\n")
	return b.String()
}

// nz formats v, or nothing for 0 (a figure the run's kind has not).
func nz(v float64) string {
	if v == 0 {
		return ""
	}
	return f2(v)
}

func cpuS(r Run) string {
	if r.Kind == "idle" || r.Failed && r.ServerCPUS == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s)", f2(r.ServerCPUS), f2(r.ServerUserS))
}

// rrRange is the range, over servers and rr scenarios, of the figure
// fig gives, skipping those for which it reports false; ok is false if
// it skipped all.
func rrRange(rep *report, fig func(*harness.ImplStats) (float64, bool)) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind != "rr" {
			continue
		}
		for _, st := range sr.Impls {
			if v, has := fig(st); has {
				lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
			}
		}
	}
	return lo, hi, ok
}

// cpuSpread is the range, over servers and rr scenarios, of the spread
// of the server CPU per request over the rounds.
func cpuSpread(rep *report) (lo, hi float64, ok bool) {
	return rrRange(rep, func(st *harness.ImplStats) (float64, bool) {
		c := st.M["cpu"]
		return c.Spread(), c.N > 1
	})
}

// kernelShare is the range, over servers and rr scenarios, of the
// kernel's share of the server's CPU per request (medians), in per cent.
func kernelShare(rep *report) (lo, hi float64, ok bool) {
	return rrRange(rep, func(st *harness.ImplStats) (float64, bool) {
		cpu, user := st.M["cpu"].Med, st.M["user"].Med
		if math.IsNaN(cpu) || math.IsNaN(user) || cpu <= 0 {
			return 0, false
		}
		return (cpu - user) / cpu * 100, true
	})
}

// summary is the results in short, for the terminal.
func (rep *report) Summary() string {
	var b strings.Builder
	for _, sr := range rep.Scenarios {
		fmt.Fprintf(&b, "%s:\n", sr.Sc.Name)
		for _, st := range sr.Impls {
			switch sr.Sc.Kind {
			case "rr":
				fmt.Fprintf(&b, "  %-14s %9s req/s  p50 %7s µs  p99 %7s µs  %6s µs/req  (%d/%d ok)\n", st.Impl,
					f0(st.M["rps"].Med), f0(st.M["p50"].Med), f0(st.M["p99"].Med), f2(st.M["cpu"].Med), st.OK, st.Total)
			case "stream":
				fmt.Fprintf(&b, "  %-14s %7s MB/s  %6s CPU s/GB  (%d/%d ok)\n", st.Impl, f0(st.M["mbps"].Med), f2(st.M["cpugb"].Med), st.OK, st.Total)
			case "idle":
				fmt.Fprintf(&b, "  %-14s %7s B/conn connected  %7s B/conn after echo  (%d/%d ok)\n", st.Impl, f0(st.M["open"].Med), f0(st.M["echo"].Med), st.OK, st.Total)
			}
		}
	}
	for _, t := range rep.Targets {
		fmt.Fprintf(&b, "target %-70s %-10s %-8s held in %s rounds  (%s)\n", t.What, t.Scenario, strings.Trim(t.Held, "*"), t.Rounds, t.Figures)
	}
	return b.String()
}
