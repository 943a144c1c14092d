//go:build linux

// Command harness runs the file I/O benchmark of package weft/fs: every
// measurement is a process of its own of the fsbench program
// (bench/fs), which prints one JSON line; the harness alternates the
// implementations, collects the lines, and writes the report (markdown)
// and its charts (PNG). It builds nothing: scripts/bench_fs.sh builds
// fsbench, prepares the test file and runs it.
//
//	harness -bin fsbench -file PATH [-rounds 5] [-d 5s] [-quick] [-md docs/fs-bench.md] [-img docs/img]
//
// Scenarios: 4 KiB random reads with O_DIRECT, 4 KiB random reads from a
// cold page cache (fadvise DONTNEED), each at depths 1 and 32; 4 KiB
// random reads from a warm cache at depth 1; one 128 KiB sequential pass
// over a cold cache at depth 1. Implementations: weft with the io_uring
// back-end, weft with the worker pool (each one loop, depth fibers),
// os.File (depth goroutines) and fio (ioengine=io_uring, iodepth depth).
// A round runs every scenario on every implementation, in turn; each
// round starts the turn one implementation later, so that none always
// runs first or last. The report gives medians over the rounds, ratios to
// os and fio at the same depth, and whether the targets are met.
//
//	harness -from results.json [-md ...] [-img ...]
//
// writes the report again from the results of an earlier run (-raw).
package main

import (
	"debug/buildinfo"
	"flag"
	"fmt"
	"os"
	"os/exec"
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

	Disk       disk       `json:"disk"`
	GoVersion  string     `json:"go_version"`
	FioVersion string     `json:"fio_version"`
	WeftRev    string     `json:"weft_rev"`
	File       string     `json:"file"`
	FileSize   int64      `json:"file_size"`
	Rounds     int        `json:"rounds"`
	Dur        string     `json:"dur"`
	Quick      bool       `json:"quick"`
	Settle     string     `json:"settle"`
	Impls      []string   `json:"impls"`
	Scenarios  []scenario `json:"scenarios"`

	harness.Span // load_start, load_end, elapsed
}

// scenario is one mode at one depth, and who runs it.
type scenario struct {
	Name  string   `json:"name"`
	Mode  string   `json:"mode"`
	Depth int      `json:"depth"`
	Impls []string `json:"impls"`
}

func main() {
	bin := flag.String("bin", "", "the fsbench binary")
	file := flag.String("file", "", "the test file (fsbench -prepare writes it)")
	rounds := flag.Int("rounds", 5, "rounds (each runs every scenario on every implementation)")
	quick := flag.Bool("quick", false, "a smoke run: 1 round, 1 s windows (unless -rounds or -d are given)")
	dur := flag.Duration("d", 5*time.Second, "measured window of each run")
	implsF := flag.String("impls", "weft-uring,weft-pool,os,fio", "implementations, in round 1's order")
	depthsF := flag.String("depths", "1,32", "depths of the rand4k-direct and rand4k-cold scenarios")
	warmFio := flag.Bool("warm-fio", true, "run fio in the rand4k-warm scenario too (the targets do not need it)")
	only := flag.String("only", "", "run only the scenarios whose names contain this")
	fio := flag.String("fio", "fio", "the fio binary")
	settle := flag.Duration("settle", 0, "fsbench -settle: wait between setting up the page cache and each window")
	files := harness.FileFlags("docs/fs-bench.md")
	command := flag.String("cmd", "", "the command that reproduces this run, for the report")
	rev := flag.String("rev", "", "the weft revision, for the report")
	verbose := flag.Bool("v", false, "print fsbench's stderr")
	flag.Parse()
	set := harness.GivenFlags()

	var res results
	if files.From != "" {
		if err := files.Load(&res); err != nil {
			fatal("%v", err)
		}
	} else {
		if *bin == "" || *file == "" {
			fatal("-bin and -file are required (scripts/bench_fs.sh builds fsbench and prepares the file)")
		}
		if *quick {
			if !set["rounds"] {
				*rounds = 1
			}
			if !set["d"] {
				*dur = time.Second
			}
		}
		impls := strings.Split(*implsF, ",")
		for _, impl := range impls {
			if !slices.Contains(allImpls, impl) {
				fatal("-impls: %q is none of %s", impl, strings.Join(allImpls, ", "))
			}
		}
		var depths []int
		for _, f := range strings.Split(*depthsF, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 1 {
				fatal("-depths: %q", f)
			}
			depths = append(depths, n)
		}
		scs := matrix(impls, depths, *warmFio)
		if *only != "" {
			scs = slices.DeleteFunc(scs, func(s scenario) bool { return !strings.Contains(s.Name, *only) })
		}
		fi, err := os.Stat(*file)
		if err != nil {
			fatal("%v (scripts/bench_fs.sh prepares it)", err)
		}
		d, err := describeDisk(*file)
		if err != nil {
			fatal("%v", err)
		}
		if d.FSType == "tmpfs" {
			fatal("%s is on tmpfs: the benchmark needs a file on a disk", *file)
		}
		res.Meta = meta{
			Stamp:     harness.NewStamp(*command),
			Disk:      d,
			WeftRev:   *rev,
			File:      *file,
			FileSize:  fi.Size(),
			Rounds:    *rounds,
			Dur:       dur.String(),
			Quick:     *quick,
			Settle:    settle.String(),
			Impls:     impls,
			Scenarios: scs,
			Span:      harness.Begin(),
		}
		if bi, err := buildinfo.ReadFile(*bin); err == nil {
			res.Meta.GoVersion = bi.GoVersion
		} else {
			fatal("fsbench binary: %v", err)
		}
		if slices.Contains(impls, "fio") {
			out, err := exec.Command(*fio, "--version").Output()
			if err != nil {
				fatal("%s --version: %v (install fio, or leave it out of -impls)", *fio, err)
			}
			res.Meta.FioVersion = strings.TrimSpace(string(out))
		}
		cfg := config{bin: *bin, file: *file, dur: *dur, fio: *fio, settle: *settle, verbose: *verbose}
		turns := harness.Schedule(*rounds, scs, func(sc scenario) []string { return sc.Impls })
		res.Runs = harness.RunAll(turns, cfg.run, label, brief)
		res.Meta.End()
		for _, r := range res.Runs {
			if r.FioVer != "" && res.Meta.FioVersion == "" {
				res.Meta.FioVersion = r.FioVer
			}
		}
		if err := files.Save(res); err != nil {
			fatal("%v", err)
		}
	}
	if err := files.Write(analyse(res)); err != nil {
		fatal("%v", err)
	}
}

// allImpls are the implementations fsbench knows, in the report's order.
var allImpls = []string{"weft-uring", "weft-pool", "os", "fio"}

// matrix is the scenarios of a full run: the random modes at each depth
// (warm at depth 1 only), the sequential pass at depth 1.
func matrix(impls []string, depths []int, warmFio bool) []scenario {
	var scs []scenario
	for _, mode := range []string{"rand4k-direct", "rand4k-cold"} {
		for _, d := range depths {
			scs = append(scs, scenario{Name: fmt.Sprintf("%s-d%d", mode, d), Mode: mode, Depth: d, Impls: impls})
		}
	}
	warm := impls
	if !warmFio {
		warm = slices.DeleteFunc(slices.Clone(impls), func(s string) bool { return s == "fio" })
	}
	scs = append(scs,
		scenario{Name: "rand4k-warm-d1", Mode: "rand4k-warm", Depth: 1, Impls: warm},
		scenario{Name: "seq128k-d1", Mode: "seq128k", Depth: 1, Impls: impls})
	return scs
}

// label names a run in the progress output.
func label(t harness.Turn[scenario]) string {
	return fmt.Sprintf("%-18s %-10s", t.Scenario.Name, t.Impl)
}

// brief is one line about a run, for the progress output.
func brief(r Run) string {
	if r.Failed {
		return "FAILED"
	}
	return fmt.Sprintf("%9.0f IOPS %8.1f MB/s  p50 %8.1f µs  p99 %8.1f µs  %6.2f CPU µs/read  cached %3.0f%% → %3.0f%%",
		r.IOPS, r.MBps, r.P50us, r.P99us, r.CPUusOp, r.Cached0, r.Cached1)
}

// fatal ends the harness with a message.
var fatal = harness.Fatalf
