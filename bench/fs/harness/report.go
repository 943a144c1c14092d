//go:build linux

package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/weftio/weft/bench/internal/harness"
)

// metrics are the figures a run yields.
var metrics = harness.Metrics[Run]{
	"iops":   func(r Run) float64 { return r.IOPS },
	"mbps":   func(r Run) float64 { return r.MBps },
	"p50":    func(r Run) float64 { return r.P50us },
	"p99":    func(r Run) float64 { return r.P99us },
	"cpu":    func(r Run) float64 { return r.CPUusOp }, // CPU µs per read
	"cached": func(r Run) float64 { return r.Cached1 }, // % of the file cached after the run
}

// scenarioReport is a scenario's figures.
type scenarioReport = harness.Section[scenario, Run]

// report is the harness's results, analysed.
type report struct {
	Meta      meta
	Runs      []Run
	Scenarios []*scenarioReport
	ByName    map[string]*scenarioReport
	Targets   []target
}

// modes is the order of the report's sections, with their titles.
var modes = []struct{ name, title string }{
	{"rand4k-direct", "4 KiB random reads, O_DIRECT"},
	{"rand4k-cold", "4 KiB random reads, buffered, cold page cache"},
	{"rand4k-warm", "4 KiB random reads, buffered, warm page cache"},
	{"seq128k", "128 KiB sequential reads, buffered, cold page cache (one pass)"},
}

// analyse reduces the runs to a table per scenario and checks the
// targets.
func analyse(res results) *report {
	rep := &report{Meta: res.Meta, Runs: res.Runs, ByName: map[string]*scenarioReport{}}
	for _, sc := range res.Meta.Scenarios {
		sr := &scenarioReport{Sc: sc, Table: harness.NewTable(sc.Name, sc.Impls, res.Runs, metrics)}
		rep.Scenarios = append(rep.Scenarios, sr)
		rep.ByName[sc.Name] = sr
	}
	rep.Targets = targets(rep)
	return rep
}

// target is one of the targets, checked in one scenario: impl's IOPS at
// least Ratio times base's.
type target struct {
	What     string
	Scenario string
	Impl     string
	Base     string
	Ratio    float64
	Got      float64 // impl's median IOPS over base's
	Figures  string
	Met      string // "yes", "no", or "n/a"
	Rounds   string // in how many rounds, run against run, it was met
}

// targetDefs are the targets of the fs issue.
var targetDefs = []target{
	{What: "O_DIRECT 4 KiB random, depth 32: weft-uring ≥ 1.5 × os with 32 goroutines", Scenario: "rand4k-direct-d32", Impl: "weft-uring", Base: "os", Ratio: 1.5},
	{What: "O_DIRECT 4 KiB random, depth 32: weft-uring ≥ 0.85 × fio io_uring iodepth 32", Scenario: "rand4k-direct-d32", Impl: "weft-uring", Base: "fio", Ratio: 0.85},
	{What: "warm cache 4 KiB random, depth 1: weft-uring within 10 % of os with 1 goroutine (≥ 0.9 ×)", Scenario: "rand4k-warm-d1", Impl: "weft-uring", Base: "os", Ratio: 0.9},
	{What: "warm cache 4 KiB random, depth 1: weft-pool within 10 % of os with 1 goroutine (≥ 0.9 ×)", Scenario: "rand4k-warm-d1", Impl: "weft-pool", Base: "os", Ratio: 0.9},
}

func targets(rep *report) []target {
	var ts []target
	for _, t := range targetDefs {
		sr, ok := rep.ByName[t.Scenario]
		if !ok {
			t.Met, t.Figures, t.Rounds, t.Got = "n/a", "scenario not run", "—", math.NaN()
			ts = append(ts, t)
			continue
		}
		a, b := sr.Med(t.Impl, "iops"), sr.Med(t.Base, "iops")
		t.Got = a / b
		t.Figures = fmt.Sprintf("%s vs %s IOPS: %s", f0(a), f0(b), fx(t.Got))
		t.Met = harness.Verdict(t.Got >= t.Ratio, math.IsNaN(t.Got))
		t.Rounds = harness.InRounds(rep.Meta.Rounds, func(round int) (bool, bool) {
			x, ok1 := sr.Runs[t.Impl][round]
			y, ok2 := sr.Runs[t.Base][round]
			return x.IOPS >= t.Ratio*y.IOPS, ok1 && ok2
		})
		ts = append(ts, t)
	}
	return ts
}

// The report's number formats, named short for the tables.
var f0, f1, f2, fx = harness.F0, harness.F1, harness.F2, harness.Fx

// lat formats a latency in µs: one decimal below 100.
func lat(v float64) string {
	if v < 100 {
		return f1(v)
	}
	return f0(v)
}

// Markdown is the report in markdown, showing the charts in imgRef if
// withCharts.
func (rep *report) Markdown(imgRef string, withCharts bool) string {
	m := rep.Meta
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	b.WriteString(harness.Heading{
		Title:   "File I/O benchmark: weft fs against os.File and fio",
		Writer:  "bench/fs/harness",
		Command: cmp.Or(m.Command, "scripts/bench_fs.sh"),
		Date:    m.Date, Elapsed: m.Elapsed, Quick: m.Quick,
	}.String())
	p("- Machine: %s. Other processes may share it: the load average was %.2f at the start and %.2f at the end. "+
		"**The figures may be noisy**; read the ± (half the range over the rounds, as a percentage of the median) before a difference.\n",
		m.Machine, m.LoadStart, m.LoadEnd)
	d := m.Disk
	model := ""
	if d.Model != "" {
		model = " (" + d.Model + ")"
	}
	rot := "non-rotational as the kernel reports it"
	if d.Rotating {
		rot = "rotational as the kernel reports it"
	}
	p("- Disk: the test file (%s, %s bytes of random data, fsynced) is on %s on %s%s, %s, I/O scheduler `%s`, read-ahead %s KiB.\n",
		m.File, f0(float64(m.FileSize)), d.FSType, d.Device, model, rot, cmp.Or(d.Scheduler, "?"), cmp.Or(d.ReadAhead, "?"))
	p("- Go %s; %s; weft %s.\n", strings.TrimPrefix(m.GoVersion, "go"), cmp.Or(m.FioVersion, "fio not run"), cmp.Or(m.WeftRev, "(working tree)"))
	p("- %d round(s) of a %s window per run, every run a fresh process; medians over the rounds.\n\n", m.Rounds, m.Dur)

	p("## Setup\n\n")
	p("| implementation | what it runs |\n|---|---|\n")
	p("| weft-uring | one loop (`fiber.Run`) configured with `fs.Configure(loop, fs.WithBackend(fs.IOUring))`, and *depth* fibers on it, each calling `(*fs.File).ReadAt` in a loop on one `*fs.File`. One loop is the design point: weft runs one loop per core, and this is the work of one of them. |\n")
	p("| weft-pool | the same with `fs.WithBackend(fs.Pool)`: each read is a blocking `pread` on weft's offload pool, which runs at most max(4, GOMAXPROCS) at once, so at most that many reads are in flight whatever the depth. |\n")
	p("| os | *depth* goroutines each calling `(*os.File).ReadAt` in a loop on one shared `*os.File`; each read blocks its thread in `pread`. |\n")
	p("| fio | %s as a child process: one job (as a thread of fio's process), `ioengine=io_uring` with fio's defaults (no SQ polling, fixed buffers or registered files), `iodepth=`*depth*, `norandommap`. |\n\n", cmp.Or(m.FioVersion, "fio"))
	p("Every run is one process (`bench/fs`, GOMAXPROCS = %d). Buffers are 4 KiB-aligned (`fs.AlignedBuffer`) for every implementation, and every read is checked: ", m.Machine.NProc)
	p("each 4 KiB block of the file begins with its own index, so a read that returns another block's data fails the run. ")
	p("Random offsets are 4 KiB-aligned and uniform over the whole file, drawn by a PCG per worker seeded with (seed, worker), so weft and os read the same offsets in the same order; fio draws its own.\n\n")
	p("- **rand4k-direct**: `O_DIRECT` (`fs.O_DIRECT`; fio `direct=1`).\n")
	p("- **rand4k-cold**: buffered, after `posix_fadvise(POSIX_FADV_DONTNEED)` on the whole file (not `drop_caches`; fio also `invalidate=1`); the share of the file cached before the run is checked with `mincore(2)`. " +
		"The cache fills as the run reads, so later reads hit it more often: \"cached at end\" is the share of the file cached after the run (a faster implementation warms it more).\n")
	p("- **rand4k-warm**: buffered, after the whole file has been read through once (as `cat` does) and `mincore(2)` has found all of it cached. " +
		"Reads are timed one in 16 (a clock read costs a few per cent of a cached 4 KiB read); every read is timed in the other modes.\n")
	p("- **seq128k**: buffered, cold as above, 128 KiB reads from the start of the file: one pass, ending at the end of the file or after the window, whichever is first (fio `rw=read`, not time-based).\n\n")
	p("IOPS and MB/s (10⁶ bytes/s) count the reads completed in the window, which ends when the last worker stops. p50 and p99 are the latencies of single reads as the worker saw them, " +
		"from a histogram with 3 %% buckets (fio: `lat_ns`, submission to completion). CPU µs/read is the process's user+system CPU over the window (`getrusage`; fio: the job's `usr_cpu`+`sys_cpu`) per read: " +
		"it includes the Go runtime's scheduling around the loop's sleeps. The disk is virtual (virtio), so the host's own cache may serve some reads that miss the guest's.\n\n")
	p("\"Loop turns / read\" (weft, in the table of every run) is how many turns of the loop each read took: below 1/depth means the loop handles all its reads at once each turn, " +
		"submitting them in one `io_uring_enter` and reaping them together.\n\n")
	if mib, n := reportedTotal(rep); n > 0 {
		p("**This VM reports free memory to its host** (virtio-balloon free page reporting, about 2 s after pages are freed): %s MiB during the %d buffered runs. "+
			"The host takes reported pages back, and the guest's next use of each costs a host fault, so a run whose page-cache pages come from reported memory is slower, "+
			"whichever implementation it is: measured by hand, seq128k fell from about 850-1,050 to 400-440 MB/s, with CPU per read up from about 30 to 140 µs, when run 3 s after the cache was dropped instead of at once. "+
			"Runs start right after their cache is set up (settle %s), and the problems list names each run that overlapped reporting; "+
			"for figures free of it, run on bare metal or with reporting off.\n\n", f0(mib), n, cmp.Or(m.Settle, "0s"))
	}

	if len(rep.Targets) > 0 {
		p("## Targets\n\n")
		p("| target | scenario | figures (medians) | met | met run against run, per round |\n|---|---|---|---|---|\n")
		for _, t := range rep.Targets {
			p("| %s | %s | %s | %s | %s |\n", t.What, t.Scenario, t.Figures, t.Met, t.Rounds)
		}
		p("\n\"Met\" compares the medians; the last column compares, round by round, the runs made one after the other. A target met on the medians but not in every round, or missed by less than the ±, is within the noise.\n\n")
	}

	p("## Results\n\n")
	for _, md := range modes {
		var srs []*scenarioReport
		for _, sr := range rep.Scenarios {
			if sr.Sc.Mode == md.name {
				srs = append(srs, sr)
			}
		}
		if len(srs) == 0 {
			continue
		}
		p("### %s: %s\n\n", md.name, md.title)
		p("Ratios are of IOPS (of MB/s for seq128k), to os and to fio at the same depth.\n\n")
		p("| implementation | depth | IOPS | MB/s | vs os | vs fio | p50 µs | p99 µs | CPU µs/read | cached at end | runs ok |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, sr := range srs {
			key := "iops"
			if md.name == "seq128k" {
				key = "mbps"
			}
			for _, st := range sr.Impls {
				ratio := func(base string) string {
					if st.Impl == base {
						return ""
					}
					return fx(sr.Med(st.Impl, key) / sr.Med(base, key))
				}
				cached := "—"
				if md.name != "rand4k-direct" && st.M["cached"].N > 0 {
					cached = fmt.Sprintf("%.0f %%", st.M["cached"].Med)
				}
				iops, mbps := harness.WithRange(st.M["iops"], f0), f1(st.M["mbps"].Med)
				if key == "mbps" {
					iops, mbps = f0(st.M["iops"].Med), harness.WithRange(st.M["mbps"], f0)
				}
				p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", st.Impl, sr.Sc.Depth,
					iops, mbps, ratio("os"), ratio("fio"), lat(st.M["p50"].Med), lat(st.M["p99"].Med),
					f2(st.M["cpu"].Med), cached, st.OK, st.Total)
			}
		}
		p("\n")
	}

	if withCharts {
		b.WriteString(harness.ChartsSection(rep.chartFiles(), imgRef))
	}

	var cmds []string
	for _, r := range rep.Runs {
		if r.FioCmd != "" && !slices.Contains(cmds, r.FioCmd) && r.Round == 1 {
			cmds = append(cmds, r.FioCmd)
		}
	}
	if len(cmds) > 0 {
		p("## fio command lines\n\n```\n%s\n```\n\n", strings.Join(cmds, "\n"))
	}

	b.WriteString(harness.ProblemsSection(rep.Runs,
		"None: every run completed, every read returned its block, and the page cache was as each mode asks before every run."))

	p("## Every run\n\n<details><summary>%d runs</summary>\n\n", len(rep.Runs))
	p("| round | scenario | implementation | started (UTC) | who reads | IOPS | MB/s | p50 / p99 µs | CPU µs/read | loop turns / read | cached before → after | others' CPU s | MiB reported to host | window s | ok |\n")
	p("|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rep.Runs {
		turns, reported := "", ""
		if r.Turns > 0 && r.Ops > 0 {
			turns = fmt.Sprintf("%.3f", float64(r.Turns)/float64(r.Ops))
		}
		if r.Reported >= 0 {
			reported = f0(r.Reported)
		}
		p("| %d | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %.0f %% → %.0f %% | %s | %s | %s | %s |\n", r.Round, r.Scenario, r.Impl,
			harness.Started(r.Start), r.Threads,
			f0(r.IOPS), f1(r.MBps), lat(r.P50us), lat(r.P99us), f2(r.CPUusOp), turns, r.Cached0, r.Cached1,
			f2(r.OthersS), reported, f2(r.WindowS), r.Outcome())
	}
	p("\n</details>\n")
	return b.String()
}

// reportedTotal is the free memory the VM reported to its host over the
// buffered runs, and how many runs could tell (0: the VM does not report).
func reportedTotal(rep *report) (mib float64, n int) {
	for _, r := range rep.Runs {
		if r.Reported >= 0 && r.Mode != "rand4k-direct" && !r.Failed {
			mib += r.Reported
			n++
		}
	}
	return mib, n
}

// summary is the results in short, for the terminal.
func (rep *report) Summary() string {
	var b strings.Builder
	for _, sr := range rep.Scenarios {
		fmt.Fprintf(&b, "%s:\n", sr.Sc.Name)
		for _, st := range sr.Impls {
			fmt.Fprintf(&b, "  %-10s %9s IOPS %8s MB/s  p50 %7s µs  p99 %7s µs  %6s CPU µs/read  (%d/%d ok)\n", st.Impl,
				f0(st.M["iops"].Med), f1(st.M["mbps"].Med), lat(st.M["p50"].Med), lat(st.M["p99"].Med), f2(st.M["cpu"].Med), st.OK, st.Total)
		}
	}
	for _, t := range rep.Targets {
		fmt.Fprintf(&b, "target %-92s %-6s met in %s rounds  (%s)\n", t.What, strings.Trim(t.Met, "*"), t.Rounds, t.Figures)
	}
	return b.String()
}
