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

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/bench/internal/harness"
)

// Run is one run: one implementation, one scenario, one fsbench process.
// The figures are fsbench's JSON line.
type Run struct {
	Round    int    `json:"round"`
	Scenario string `json:"scenario"`
	Impl     string `json:"impl"`
	Start    string `json:"start"`

	harness.Status

	Mode     string  `json:"mode"`
	Depth    int     `json:"depth"`
	Backend  string  `json:"backend,omitempty"`
	Loops    int     `json:"loops,omitempty"`
	Threads  string  `json:"threads"`
	MaxProc  int     `json:"gomaxprocs"`
	Ops      int64   `json:"ops"`
	Bytes    int64   `json:"bytes"`
	WindowS  float64 `json:"window_s"`
	IOPS     float64 `json:"iops"`
	MBps     float64 `json:"mbps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	LatEvery int     `json:"lat_every"`
	CPUS     float64 `json:"cpu_s"`
	CPUusOp  float64 `json:"cpu_us_per_op"`
	OthersS  float64 `json:"others_cpu_s"`
	Reported float64 `json:"reported_mib"` // -1: the VM does not report free pages
	Turns    uint64  `json:"loop_turns,omitempty"`
	Polls    uint64  `json:"loop_polls,omitempty"`
	Events   uint64  `json:"loop_events,omitempty"`
	Cached0  float64 `json:"cached_before_pct"`
	Cached1  float64 `json:"cached_after_pct"`
	PrepS    float64 `json:"prep_s"`
	Errors   int64   `json:"errors"`
	Bad      int64   `json:"bad"`
	FirstErr string  `json:"first_error,omitempty"`
	FioVer   string  `json:"fio_version,omitempty"`
	FioCmd   string  `json:"fio_cmd,omitempty"`
	Hang     bool    `json:"hang,omitempty"`
}

// Key says which run r is.
func (r Run) Key() harness.Key {
	return harness.Key{Scenario: r.Scenario, Impl: r.Impl, Round: r.Round}
}

// config is how runs are made.
type config struct {
	bin     string
	file    string
	dur     time.Duration
	fio     string
	settle  time.Duration
	verbose bool
}

// run runs fsbench once for the turn and checks what it reports.
func (cfg config) run(t harness.Turn[scenario]) (r Run) {
	round, sc, impl := t.Round, t.Scenario, t.Impl
	r = Run{Round: round, Scenario: sc.Name, Impl: impl, Start: time.Now().UTC().Format(time.RFC3339)}
	// fsbench gives up by itself 60 s after its window should have ended
	// (a hang, with every goroutine's stack); warming the cache comes
	// before that.
	timeout := cfg.dur + 3*time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.bin, "-impl", impl, "-mode", sc.Mode, "-depth", strconv.Itoa(sc.Depth),
		"-file", cfg.file, "-d", cfg.dur.String(), "-fio", cfg.fio, "-settle", cfg.settle.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cfg.verbose && stderr.Len() > 0 {
		fmt.Fprintf(os.Stderr, "\n    fsbench: %s\n", strings.TrimSpace(stderr.String()))
	}
	var line []byte
	for _, l := range bytes.Split(stdout.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(l, []byte("{")) {
			line = l
		}
	}
	if ctx.Err() != nil {
		r.Fail("fsbench did not finish within %v (killed); stderr: %q", timeout, harness.Tail(stderr.String()))
		return r
	}
	if line == nil {
		r.Fail("fsbench printed no result (%v); stderr: %q", err, harness.Tail(stderr.String()))
		return r
	}
	if jerr := json.Unmarshal(line, &r); jerr != nil {
		r.Fail("fsbench's result %q: %v", line, jerr)
		return r
	}
	r.Round, r.Scenario, r.Impl = round, sc.Name, impl // not fsbench's to change
	switch {
	case r.Hang:
		r.Fail("fsbench hung: %s; stderr (goroutines): %q", r.FirstErr, harness.Tail(stderr.String()))
		return r
	case r.Errors > 0 || r.Bad > 0:
		r.Fail("%d failed and %d wrong reads, the first: %s", r.Errors, r.Bad, r.FirstErr)
		return r
	case err != nil:
		r.Fail("fsbench exited with %v; stderr: %q", err, harness.Tail(stderr.String()))
		return r
	case r.Ops == 0:
		r.Fail("no reads completed")
		return r
	}
	if want := wantBackend[impl]; want != "" && r.Backend != want {
		r.Fail("the loop's back-end is %q, not %q", r.Backend, want)
	}
	switch sc.Mode {
	case "rand4k-cold", "seq128k":
		if r.Cached0 > 5 {
			r.Fail("%.1f %% of the file was cached before the run, after fadvise(DONTNEED): not cold", r.Cached0)
		} else if r.Cached0 > 1 {
			r.Warn("%.1f %% of the file was cached before the run, after fadvise(DONTNEED)", r.Cached0)
		}
	case "rand4k-warm":
		if r.Cached0 < 99 {
			r.Fail("only %.1f %% of the file was cached before the run: not warm (memory short?)", r.Cached0)
		} else if r.Cached1 < 99 {
			r.Warn("%.1f %% of the file was cached after the run: pages left the cache during it", r.Cached1)
		}
	}
	if r.WindowS > 0 && r.OthersS/r.WindowS > 0.25 {
		r.Warn("other processes used %.2f CPU s (%.0f %% of a core) during the run", r.OthersS, r.OthersS/r.WindowS*100)
	}
	if r.Reported > 64 && sc.Mode != "rand4k-direct" {
		r.Warn("the VM reported %.0f MiB of free memory to its host during the run: page-cache pages allocated from it cost a host fault each", r.Reported)
	}
	if sc.Mode != "seq128k" && r.WindowS < 0.9*cfg.dur.Seconds() {
		r.Warn("the window was %.2f s, not %v", r.WindowS, cfg.dur)
	}
	return r
}

// wantBackend is what fs.BackendOf must report for each weft
// implementation.
var wantBackend = map[string]string{"weft-uring": "io_uring", "weft-pool": "pool"}

// disk describes what the test file is on.
type disk struct {
	FSType    string `json:"fs_type"`
	Device    string `json:"device"` // the block device (the whole disk for a partition)
	Model     string `json:"model,omitempty"`
	Scheduler string `json:"scheduler,omitempty"`
	Rotating  bool   `json:"rotational"`
	ReadAhead string `json:"read_ahead_kb,omitempty"`
}

// fsNames are statfs magic numbers worth naming.
var fsNames = map[int64]string{
	0xEF53:     "ext4",
	0x58465342: "xfs",
	0x9123683E: "btrfs",
	0x01021994: "tmpfs",
	0x794C7630: "overlayfs",
	0x2FC12FC1: "zfs",
	0xF2F52010: "f2fs",
}

func describeDisk(file string) (disk, error) {
	var d disk
	var sfs unix.Statfs_t
	if err := unix.Statfs(file, &sfs); err != nil {
		return d, fmt.Errorf("statfs %s: %w", file, err)
	}
	d.FSType = fsNames[int64(sfs.Type)]
	if d.FSType == "" {
		d.FSType = fmt.Sprintf("statfs type %#x", sfs.Type)
	}
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		return d, err
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	if _, err := os.Stat(sys + "/partition"); err == nil {
		sys += "/.." // a partition: the queue is its disk's
	}
	read := func(p string) string {
		b, _ := os.ReadFile(sys + "/" + p)
		return strings.TrimSpace(string(b))
	}
	if target, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))); err == nil {
		parts := strings.Split(target, "/")
		d.Device = parts[len(parts)-1]
		if strings.HasSuffix(sys, "/..") && len(parts) > 1 {
			d.Device = parts[len(parts)-2]
		}
	}
	d.Model = read("device/model")
	d.Scheduler = read("queue/scheduler") // "none [mq-deadline] kyber": the one in brackets is in use
	if _, rest, ok := strings.Cut(d.Scheduler, "["); ok {
		d.Scheduler, _, _ = strings.Cut(rest, "]")
	}
	d.Rotating = read("queue/rotational") == "1"
	d.ReadAhead = read("queue/read_ahead_kb")
	if d.Device == "" {
		d.Device = "unknown" // btrfs, overlayfs: no block device behind st_dev
	}
	return d, nil
}
