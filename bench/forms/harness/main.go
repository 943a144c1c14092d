//go:build linux

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

	GoVersion string     `json:"go_version"`
	WeftRev   string     `json:"weft_rev"`
	Rounds    int        `json:"rounds"`
	Dur       string     `json:"dur"`
	Warm      string     `json:"warm"`
	Quick     bool       `json:"quick"`
	Scenarios []scenario `json:"scenarios"`

	harness.Span // load_start, load_end, elapsed
}

// scenario is one load, and who runs it.
type scenario struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // pingpong or msgs
	Pairs  int      `json:"pairs,omitempty"`
	Active int      `json:"active,omitempty"`
	Batch  int      `json:"batch,omitempty"`
	Size   int      `json:"size"`
	Impls  []string `json:"impls"`
}

// The implementations formsbench knows, in the report's order.
var (
	pingImpls = []string{"thread", "go-net", "poll", "epoll", "uring", "weft-loop", "weft-uring", "weft-fiber"}
	msgImpls  = []string{"syscalls", "mmsg", "uring-batch", "uring-reg"}
)

func main() {
	bin := flag.String("bin", "", "the formsbench binary")
	rounds := flag.Int("rounds", 4, "rounds (each runs every scenario on every implementation)")
	quick := flag.Bool("quick", false, "a smoke run: 1 round, 300 ms windows (unless -rounds or -d are given)")
	dur := flag.Duration("d", time.Second, "measured window of each run")
	warm := flag.Duration("warm", 200*time.Millisecond, "load before each window")
	implsF := flag.String("impls", strings.Join(pingImpls, ","), "ping-pong implementations, in round 1's order")
	only := flag.String("only", "", "run only the scenarios whose names contain this")
	files := harness.FileFlags("docs/forms-bench.md")
	doc := flag.String("doc", "docs/forms-of-io.md", "the page whose forms-bench section gets the summary table (empty: none)")
	command := flag.String("cmd", "", "the command that reproduces this run, for the report")
	rev := flag.String("rev", "", "the weft revision, for the report")
	verbose := flag.Bool("v", false, "print formsbench's stderr")
	flag.Parse()
	set := harness.GivenFlags()

	var res results
	if files.From != "" {
		if err := files.Load(&res); err != nil {
			fatal("%v", err)
		}
	} else {
		if *bin == "" {
			fatal("-bin is required (scripts/bench_forms.sh builds formsbench)")
		}
		if *quick {
			if !set["rounds"] {
				*rounds = 1
			}
			if !set["d"] {
				*dur = 300 * time.Millisecond
			}
		}
		impls := strings.Split(*implsF, ",")
		for _, impl := range impls {
			if !slices.Contains(pingImpls, impl) {
				fatal("-impls: %q is none of %s", impl, strings.Join(pingImpls, ", "))
			}
		}
		scs := []scenario{
			{Name: "rt-1", Kind: "pingpong", Pairs: 1, Active: 1, Size: 64, Impls: impls},
			{Name: "rt-64", Kind: "pingpong", Pairs: 64, Active: 64, Size: 64, Impls: impls},
			{Name: "idle-1000", Kind: "pingpong", Pairs: 1001, Active: 1, Size: 64, Impls: impls},
			{Name: "msgs-32", Kind: "msgs", Batch: 32, Size: 64, Impls: msgImpls},
		}
		if *only != "" {
			scs = slices.DeleteFunc(scs, func(s scenario) bool { return !strings.Contains(s.Name, *only) })
		}
		res.Meta = meta{
			Stamp:     harness.NewStamp(*command),
			WeftRev:   *rev,
			Rounds:    *rounds,
			Dur:       dur.String(),
			Warm:      warm.String(),
			Quick:     *quick,
			Scenarios: scs,
			Span:      harness.Begin(),
		}
		bi, err := buildinfo.ReadFile(*bin)
		if err != nil {
			fatal("formsbench binary: %v", err)
		}
		res.Meta.GoVersion = bi.GoVersion
		cfg := config{bin: *bin, dur: *dur, warm: *warm, verbose: *verbose}
		turns := harness.Schedule(*rounds, scs, func(sc scenario) []string { return sc.Impls })
		res.Runs = harness.RunAll(turns, cfg.run, label, brief)
		res.Meta.End()
		if err := files.Save(res); err != nil {
			fatal("%v", err)
		}
	}
	rep := analyse(res)
	if err := files.Write(rep); err != nil {
		fatal("%v", err)
	}
	if *doc != "" {
		if err := rep.updateDoc(*doc, files.MD); err != nil {
			fatal("%v", err)
		}
	}
}

// label names a run in the progress output.
func label(t harness.Turn[scenario]) string {
	return fmt.Sprintf("%-10s %-11s", t.Scenario.Name, t.Impl)
}

// brief is one line about a run, for the progress output.
func brief(r Run) string {
	if r.Failed {
		return "FAILED"
	}
	return fmt.Sprintf("%10.0f ns/op %10.0f CPU ns/op %5d threads  (others %.2f CPU s)", r.NsOp, r.CPUNsOp, r.Threads, r.OthersS)
}

// fatal ends the harness with a message.
var fatal = harness.Fatalf
