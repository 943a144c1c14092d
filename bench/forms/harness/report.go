//go:build linux

package main

import (
	"cmp"
	"fmt"
	"os"
	"strings"

	"github.com/weftio/weft/bench/internal/harness"
)

// metrics are the figures a run yields.
var metrics = harness.Metrics[Run]{
	"ns":      func(r Run) float64 { return r.NsOp },    // wall ns per operation
	"cpu":     func(r Run) float64 { return r.CPUNsOp }, // CPU ns per operation
	"threads": func(r Run) float64 { return float64(r.Threads) },
}

// scenarioReport is a scenario's figures.
type scenarioReport = harness.Section[scenario, Run]

// report is the harness's results, analysed.
type report struct {
	Meta      meta
	Runs      []Run
	Scenarios []*scenarioReport
	ByName    map[string]*scenarioReport
}

func analyse(res results) *report {
	rep := &report{Meta: res.Meta, Runs: res.Runs, ByName: map[string]*scenarioReport{}}
	for _, sc := range res.Meta.Scenarios {
		sr := &scenarioReport{Sc: sc, Table: harness.NewTable(sc.Name, sc.Impls, res.Runs, metrics)}
		rep.Scenarios = append(rep.Scenarios, sr)
		rep.ByName[sc.Name] = sr
	}
	return rep
}

// forms says which form of I/O each implementation is, for the tables.
var forms = map[string]string{
	"thread":      "blocking I/O, a thread per waiting read",
	"go-net":      "Go's net: goroutines on Go's poller (baseline)",
	"poll":        "a poll(2) loop",
	"epoll":       "readiness: epoll",
	"uring":       "completion queue: io_uring",
	"weft-loop":   "weft reactor: loop + readiness",
	"weft-uring":  "weft proactor: loop + io_uring",
	"weft-fiber":  "weft fibers: netpoll.Conn",
	"syscalls":    "a write(2) and a read(2) per message",
	"mmsg":        "sendmmsg(2) + recvmmsg(2) per batch",
	"uring-batch": "io_uring, a batch per io_uring_enter",
	"uring-reg":   "io_uring, registered sockets and buffers",
}

// titles describe the scenarios.
var titles = map[string]string{
	"rt-1":      "one pair: a 64-byte round trip at a time",
	"rt-64":     "64 pairs at once",
	"idle-1000": "one active pair among 1,000 idle ones",
	"msgs-32":   "64-byte UDP datagrams in batches of 32",
}

// base is the implementation each scenario's ratios are to.
func base(sc scenario) string {
	if sc.Kind == "msgs" {
		return "syscalls"
	}
	return "epoll"
}

// The report's number formats, named short for the tables.
var f0, fx = harness.F0, harness.Fx

// Markdown is the report in markdown, showing the charts in imgRef if
// withCharts.
func (rep *report) Markdown(imgRef string, withCharts bool) string {
	m := rep.Meta
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(harness.Heading{
		Title:   "Forms of I/O: what one operation costs",
		Writer:  "bench/forms/harness",
		Command: cmp.Or(m.Command, "scripts/bench_forms.sh"),
		Date:    m.Date, Elapsed: m.Elapsed, Quick: m.Quick,
	}.String())
	p("- Machine: %s. Other processes may share it: the load average was %.2f at the start and %.2f at the end. "+
		"**The figures may be noisy**; read the ± (half the range over the rounds, as a percentage of the median) before a difference.\n",
		m.Machine, m.LoadStart, m.LoadEnd)
	p("- Go %s; weft %s.\n", strings.TrimPrefix(m.GoVersion, "go"), cmp.Or(m.WeftRev, "(working tree)"))
	p("- %d round(s) of a %s window per run after %s of the same load, every run a fresh process (GOMAXPROCS = %d); medians over the rounds.\n\n",
		m.Rounds, m.Dur, m.Warm, m.Machine.NProc)
	p("docs/forms-of-io.md explains each form and links to its program in examples/forms; this page is the measurement behind its figures.\n\n")

	p("## What is measured\n\n")
	p("**Ping-pong** (rt-1, rt-64, idle-1000): pairs of connected Unix stream sockets (`socketpair(2)`). On an active pair one end writes 64 bytes, ")
	p("the other reads them and writes them back, and the first reads the answer and sends the next: **one operation is one round trip**, two writes and two reads, ")
	p("and every answer is checked. Each implementation serves both ends of every pair. Idle pairs are watched like active ones and never become ready.\n\n")
	p("| implementation | form | how |\n|---|---|---|\n")
	p("| thread | blocking I/O | a goroutine per socket end, blocking `read(2)`/`write(2)`: every waiting read holds an OS thread |\n")
	p("| go-net | the plain-Go baseline | `net.FileConn` over the same sockets, a goroutine per end, Go's own poller |\n")
	p("| poll | select/poll loop | one goroutine, non-blocking sockets, `poll(2)` over the whole set, one `read(2)` per ready socket |\n")
	p("| epoll | readiness at scale | one goroutine, `epoll_wait(2)` on a level-triggered set registered once |\n")
	p("| uring | completion queue | one goroutine locked to its thread, a read always posted on every socket through io_uring; submit and wait in one `io_uring_enter` |\n")
	p("| weft-loop | reactor on weft | a weft loop, each socket registered edge-triggered (`loop.Register`), handlers reading and writing until `EAGAIN` |\n")
	p("| weft-uring | proactor on weft | a weft loop with an io_uring whose eventfd is registered; its handler reaps completions, posts the next operations and submits them, reaping again what completed inside the submission; the loop blocks its thread while operations are in flight (BlockHint, as package fs) |\n")
	p("| weft-fiber | fibers on weft | a fiber per socket end reading and writing a `netpoll.Conn` (a `net.Conn`) in blocking style; Unix stream sockets from `netpoll.Listen`/`Dial` |\n\n")
	p("**Small messages** (msgs-32): one goroutine, locked to its thread, sends 32 UDP datagrams of 64 bytes on 127.0.0.1 and receives them, batch after batch; ")
	p("**one operation is one message** sent and received, and every message is checked.\n\n")
	p("| implementation | how |\n|---|---|\n")
	for _, impl := range msgImpls {
		p("| %s | %s |\n", impl, forms[impl])
	}
	p("\n**ns/op** is the window over the operations completed in it: with one active pair, a round trip's latency; with 64, the inverse of the throughput. ")
	p("**CPU ns/op** is the process's user+system CPU (`getrusage`, every thread, the kernel's io_uring workers included) over the window per operation: what the form costs the machine. ")
	p("On 2 cores, implementations with many threads (thread, go-net) can use both; the single-loop ones use one.\n\n")

	p("## Results\n\n")
	for _, sr := range rep.Scenarios {
		bs := base(sr.Sc)
		p("### %s: %s\n\n", sr.Sc.Name, titles[sr.Sc.Name])
		p("| implementation | form | ns/op | CPU ns/op | CPU vs %s | threads | runs ok |\n|---|---|---:|---:|---:|---:|---:|\n", bs)
		for _, st := range sr.Impls {
			ratio := ""
			if st.Impl != bs {
				ratio = fx(sr.Med(st.Impl, "cpu") / sr.Med(bs, "cpu"))
			}
			p("| %s | %s | %s | %s | %s | %s | %d/%d |\n", st.Impl, forms[st.Impl],
				harness.WithRange(st.M["ns"], f0), harness.WithRange(st.M["cpu"], f0), ratio, f0(st.M["threads"].Med), st.OK, st.Total)
		}
		p("\n")
	}
	if t := rep.reactorProactor(); t != "" {
		p("## Reactor and proactor\n\n%s\n", t)
	}
	if withCharts {
		b.WriteString(harness.ChartsSection(rep.chartFiles(), imgRef))
	}
	b.WriteString(harness.ProblemsSection(rep.Runs, "None: every run completed and every answer was checked."))

	p("## Every run\n\n<details><summary>%d runs</summary>\n\n", len(rep.Runs))
	p("| round | scenario | implementation | started (UTC) | operations | ns/op | CPU ns/op | threads | others' CPU s | window s | ok |\n")
	p("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rep.Runs {
		p("| %d | %s | %s | %s | %s | %s | %s | %d | %.2f | %.2f | %s |\n", r.Round, r.Scenario, r.Impl, harness.Started(r.Start),
			f0(float64(r.Ops)), f0(r.NsOp), f0(r.CPUNsOp), r.Threads, r.OthersS, r.WindowS, r.Outcome())
	}
	p("\n</details>\n")
	return b.String()
}

// reactorProactor is the table setting weft's two patterns side by side
// in every ping-pong scenario, with raw epoll and io_uring for reference.
func (rep *report) reactorProactor() string {
	var b strings.Builder
	rows := 0
	b.WriteString("The same echo on a weft loop in the two patterns (examples/forms/reactor and examples/forms/proactor), with the raw forms under them for reference.\n\n")
	b.WriteString("| scenario | reactor (weft-loop) ns/op | proactor (weft-uring) ns/op | reactor CPU ns/op | proactor CPU ns/op | proactor CPU / reactor | raw epoll CPU ns/op | raw io_uring CPU ns/op |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind != "pingpong" {
			continue
		}
		rows++
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", sr.Sc.Name,
			f0(sr.Med("weft-loop", "ns")), f0(sr.Med("weft-uring", "ns")),
			f0(sr.Med("weft-loop", "cpu")), f0(sr.Med("weft-uring", "cpu")),
			fx(sr.Med("weft-uring", "cpu")/sr.Med("weft-loop", "cpu")),
			f0(sr.Med("epoll", "cpu")), f0(sr.Med("uring", "cpu")))
	}
	if rows == 0 {
		return ""
	}
	return b.String()
}

// Summary is the results in short, for the terminal.
func (rep *report) Summary() string {
	var b strings.Builder
	for _, sr := range rep.Scenarios {
		fmt.Fprintf(&b, "%s:\n", sr.Sc.Name)
		for _, st := range sr.Impls {
			fmt.Fprintf(&b, "  %-11s %10s ns/op %10s CPU ns/op %6s threads (%d/%d ok)\n", st.Impl,
				f0(st.M["ns"].Med), f0(st.M["cpu"].Med), f0(st.M["threads"].Med), st.OK, st.Total)
		}
	}
	return b.String()
}

// The markers around the summary in docs/forms-of-io.md.
const (
	docBegin = "<!-- forms-bench:begin (written by bench/forms/harness: rerun scripts/bench_forms.sh instead of editing) -->"
	docEnd   = "<!-- forms-bench:end -->"
)

// updateDoc writes the summary tables into doc, between its markers,
// naming md as the full report.
func (rep *report) updateDoc(doc, md string) error {
	b, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	text := string(b)
	i, j := strings.Index(text, docBegin), strings.Index(text, docEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q … %q section for the summary", doc, docBegin, docEnd)
	}
	out := text[:i+len(docBegin)] + "\n\n" + rep.docSummary() + "\n" + text[j:]
	if err := os.WriteFile(doc, []byte(out), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote the summary into %s\n", doc)
	return nil
}

// docSummary is the summary for docs/forms-of-io.md: CPU and wall time
// per operation of every implementation in every scenario.
func (rep *report) docSummary() string {
	m := rep.Meta
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	quick := ""
	if m.Quick {
		quick = " **A quick smoke run: too short to judge by.**"
	}
	p("Measured %s on %s: medians of %d round(s) of %s, `%s`.%s The full report, with the spread and every run, is [forms-bench.md](forms-bench.md).\n\n",
		m.Date, m.Machine, m.Rounds, m.Dur, cmp.Or(m.Command, "scripts/bench_forms.sh"), quick)
	var pings []*scenarioReport
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind == "pingpong" {
			pings = append(pings, sr)
		}
	}
	if len(pings) > 0 {
		p("Ping-pong of 64 bytes over Unix socket pairs, one operation = one round trip; **CPU ns/op** (wall ns/op):\n\n")
		p("| form | implementation |")
		for _, sr := range pings {
			p(" %s |", sr.Sc.Name)
		}
		p("\n|---|---|%s\n", strings.Repeat("---:|", len(pings)))
		for _, impl := range pingImpls {
			p("| %s | %s |", forms[impl], impl)
			for _, sr := range pings {
				p(" %s (%s) |", f0(sr.Med(impl, "cpu")), f0(sr.Med(impl, "ns")))
			}
			p("\n")
		}
		p("\n")
	}
	if sr, ok := rep.ByName["msgs-32"]; ok {
		p("Small messages: 64-byte UDP datagrams in batches of 32 on one thread, one operation = one message sent and received:\n\n")
		p("| way | CPU ns/message | ns/message | CPU vs syscalls |\n|---|---:|---:|---:|\n")
		for _, impl := range msgImpls {
			ratio := ""
			if impl != "syscalls" {
				ratio = fx(sr.Med(impl, "cpu") / sr.Med("syscalls", "cpu"))
			}
			p("| %s (%s) | %s | %s | %s |\n", forms[impl], impl, f0(sr.Med(impl, "cpu")), f0(sr.Med(impl, "ns")), ratio)
		}
		p("\n")
	}
	if t := rep.reactorProactor(); t != "" {
		p("Reactor and proactor side by side:\n\n%s", strings.TrimPrefix(t, strings.SplitAfter(t, "\n\n")[0]))
	}
	return b.String()
}
