//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// fioArgs returns fio's command line for s: one job, io_uring with fio's
// defaults (no SQ polling, no fixed buffers or files), reading the whole
// file at uniform random offsets with repetition (norandommap, as the
// other implementations do), or once through from the start.
func fioArgs(s spec) []string {
	rw, timed := "randread", "1"
	if !s.mode.random {
		rw, timed = "read", "0" // one pass, as the other implementations make
	}
	b2i := map[bool]string{false: "0", true: "1"}
	return []string{
		"--name=fsbench", "--filename=" + s.file, fmt.Sprintf("--size=%d", s.size),
		"--ioengine=io_uring", "--rw=" + rw, fmt.Sprintf("--bs=%d", s.mode.bs),
		fmt.Sprintf("--iodepth=%d", s.depth), "--direct=" + b2i[s.mode.direct],
		// fio's own page-cache drop at the start (the run dropped it
		// already for the cold modes): not for the warm one.
		"--invalidate=" + b2i[s.mode.cache == cacheCold],
		"--time_based=" + timed, fmt.Sprintf("--runtime=%dms", s.dur.Milliseconds()),
		"--norandommap", fmt.Sprintf("--randseed=%d", s.seed),
		"--lat_percentiles=1", "--output-format=json",
		// The job as a thread of fio's process, not a process of its
		// own: it dies with fio (and fio with this process, Pdeathsig).
		"--thread",
	}
}

// fioOut is the part of fio's JSON output the run reads.
type fioOut struct {
	Version string `json:"fio version"`
	Jobs    []struct {
		Error int     `json:"error"`
		Usr   float64 `json:"usr_cpu"` // % of the job's run time
		Sys   float64 `json:"sys_cpu"`
		Read  struct {
			IOBytes  int64   `json:"io_bytes"`
			IOPS     float64 `json:"iops"`
			Runtime  int64   `json:"runtime"` // ms
			TotalIOs int64   `json:"total_ios"`
			Lat      fioLat  `json:"lat_ns"`
			Clat     fioLat  `json:"clat_ns"`
			Short    int64   `json:"short_ios"`
			Drop     int64   `json:"drop_ios"`
			BW       float64 `json:"bw"` // KiB/s
		} `json:"read"`
	} `json:"jobs"`
}

type fioLat struct {
	Percentile map[string]float64 `json:"percentile"`
}

// runFio runs fio and reads its figures into r.
func runFio(s spec, bin string, r *result) error {
	args := fioArgs(s)
	r.FioCmd = bin + " " + strings.Join(args, " ")
	r.Threads = fmt.Sprintf("fio, 1 job, iodepth %d", s.depth)
	r.Note = "fio: ioengine=io_uring with fio's defaults, one job"
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// fio dies with this process (the watchdog's exit, the harness's kill).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	err := cmd.Run()
	if err != nil {
		return fmt.Errorf("%s: %v; stderr: %q", bin, err, strings.TrimSpace(stderr.String()))
	}
	// fio may print notes before its JSON.
	out := stdout.Bytes()
	if i := bytes.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	var fo fioOut
	if err := json.Unmarshal(out, &fo); err != nil {
		return fmt.Errorf("fio's output: %v (after %v): %q", err, time.Since(t0), truncate(stdout.String(), 400))
	}
	if len(fo.Jobs) != 1 {
		return fmt.Errorf("fio reported %d jobs, want 1", len(fo.Jobs))
	}
	j := fo.Jobs[0]
	if j.Error != 0 {
		return fmt.Errorf("fio job error %d; stderr: %q", j.Error, strings.TrimSpace(stderr.String()))
	}
	r.FioVer = fo.Version
	rd := j.Read
	r.Ops = rd.TotalIOs
	r.Bytes = rd.IOBytes
	r.WindowS = float64(rd.Runtime) / 1e3
	r.IOPS = rd.IOPS
	if r.WindowS > 0 {
		r.MBps = float64(rd.IOBytes) / r.WindowS / 1e6
	}
	lat := rd.Lat.Percentile
	if len(lat) == 0 {
		lat = rd.Clat.Percentile
	}
	r.P50us = lat["50.000000"] / 1e3
	r.P99us = lat["99.000000"] / 1e3
	r.LatEvery = 1
	r.CPUS = (j.Usr + j.Sys) / 100 * r.WindowS
	if rd.Short > 0 || rd.Drop > 0 {
		r.Errors += rd.Short + rd.Drop
		r.FirstErr = fmt.Sprintf("fio: %d short and %d dropped reads", rd.Short, rd.Drop)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
