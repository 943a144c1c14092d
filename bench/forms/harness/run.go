//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/weftio/weft/bench/internal/harness"
)

// Run is one run: one implementation, one scenario, one formsbench
// process. The figures are formsbench's JSON line.
type Run struct {
	Round    int    `json:"round"`
	Scenario string `json:"scenario"`
	Impl     string `json:"impl"`
	Start    string `json:"start"`

	harness.Status

	Pairs   int     `json:"pairs,omitempty"`
	Active  int     `json:"active,omitempty"`
	Batch   int     `json:"batch,omitempty"`
	Size    int     `json:"size"`
	MaxProc int     `json:"gomaxprocs"`
	Ops     int64   `json:"ops"`
	WindowS float64 `json:"window_s"`
	NsOp    float64 `json:"ns_per_op"`
	CPUS    float64 `json:"cpu_s"`
	CPUNsOp float64 `json:"cpu_ns_per_op"`
	OthersS float64 `json:"others_cpu_s"`
	Threads int     `json:"threads"`
	Err     string  `json:"error,omitempty"`
	Hang    bool    `json:"hang,omitempty"`
}

// Key says which run r is.
func (r Run) Key() harness.Key {
	return harness.Key{Scenario: r.Scenario, Impl: r.Impl, Round: r.Round}
}

// config is how runs are made.
type config struct {
	bin       string
	dur, warm time.Duration
	verbose   bool
}

// run runs formsbench once for the turn and checks what it reports.
func (cfg config) run(t harness.Turn[scenario]) (r Run) {
	round, sc, impl := t.Round, t.Scenario, t.Impl
	r = Run{Round: round, Scenario: sc.Name, Impl: impl, Start: time.Now().UTC().Format(time.RFC3339)}
	// formsbench gives up by itself 30 s after its window should have
	// ended (a hang, with every goroutine's stack).
	timeout := cfg.warm + cfg.dur + time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"-impl", impl, "-scenario", sc.Kind, "-size", strconv.Itoa(sc.Size), "-d", cfg.dur.String(), "-warm", cfg.warm.String()}
	if sc.Kind == "msgs" {
		args = append(args, "-batch", strconv.Itoa(sc.Batch))
	} else {
		args = append(args, "-pairs", strconv.Itoa(sc.Pairs), "-active", strconv.Itoa(sc.Active))
	}
	cmd := exec.CommandContext(ctx, cfg.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cfg.verbose && stderr.Len() > 0 {
		fmt.Fprintf(os.Stderr, "\n    formsbench: %s\n", strings.TrimSpace(stderr.String()))
	}
	var line []byte
	for _, l := range bytes.Split(stdout.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(l, []byte("{")) {
			line = l
		}
	}
	switch {
	case ctx.Err() != nil:
		r.Fail("formsbench did not finish within %v (killed); stderr: %q", timeout, harness.Tail(stderr.String()))
		return r
	case line == nil:
		r.Fail("formsbench printed no result (%v); stderr: %q", err, harness.Tail(stderr.String()))
		return r
	}
	if jerr := json.Unmarshal(line, &r); jerr != nil {
		r.Fail("formsbench's result %q: %v", line, jerr)
		return r
	}
	r.Round, r.Scenario, r.Impl = round, sc.Name, impl // not formsbench's to change
	switch {
	case r.Hang:
		r.Fail("formsbench hung: %s; stderr (goroutines): %q", r.Err, harness.Tail(stderr.String()))
		return r
	case r.Err != "":
		r.Fail("%s", r.Err)
		return r
	case err != nil:
		r.Fail("formsbench exited with %v; stderr: %q", err, harness.Tail(stderr.String()))
		return r
	case r.Ops == 0:
		r.Fail("no operation completed")
		return r
	}
	if r.WindowS > 0 && r.OthersS/r.WindowS > 0.25 {
		r.Warn("other processes used %.2f CPU s (%.0f %% of a core) during the run", r.OthersS, r.OthersS/r.WindowS*100)
	}
	if r.WindowS < 0.9*cfg.dur.Seconds() {
		r.Warn("the window was %.2f s, not %v", r.WindowS, cfg.dur)
	}
	return r
}
