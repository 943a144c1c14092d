//go:build linux

// Command fsbench is the file I/O benchmark of package weft/fs. One
// process makes one measurement and prints it as one JSON line on
// stdout; bench/fs/harness runs the matrix and writes the report, and
// scripts/bench_fs.sh builds both and runs it.
//
//	fsbench -prepare -file PATH [-size 1073741824]
//
// writes the test file, unless one of that size and layout is there: every
// 4 KiB block holds random bytes after an 8-byte header naming the block,
// so that each read is checked for coming from the offset asked for. The
// file is fsynced. A file on tmpfs is refused: it has no disk under it.
//
//	fsbench -impl weft-uring|weft-pool|os|fio -mode M -depth N -file PATH -d 5s
//
// measures one implementation reading the file for -d:
//
//   - weft-uring, weft-pool: one loop (fiber.Run) with the fs back-end
//     set by fs.Configure, and N fibers each calling (*fs.File).ReadAt in
//     a loop. One loop is the design point: weft runs one loop per core,
//     and this is what one of them does.
//   - os: N goroutines each calling (*os.File).ReadAt in a loop on one
//     shared *os.File.
//   - fio: fio as a child process, ioengine=io_uring, iodepth=N, one job.
//
// Modes:
//
//   - rand4k-direct: O_DIRECT, 4 KiB reads at 4 KiB-aligned offsets drawn
//     uniformly over the file, from a PRNG seeded per worker (-seed).
//   - rand4k-cold: the same, buffered, after posix_fadvise(DONTNEED) on
//     the whole file (not drop_caches): the page cache fills as the run
//     reads, and "cached_after_pct" says by how much.
//   - rand4k-warm: the same, buffered, after the whole file has been read
//     once, so that every read is a page-cache hit.
//   - seq128k: buffered, cold as above, 128 KiB reads from the start; one
//     pass, ending at the end of the file or after -d, whichever is first.
//     With N > 1 each worker reads its own N-th of the file (fio: one
//     stream with N reads in flight).
//
// The cache state before the run is checked with mincore(2) and reported
// ("cached_before_pct"), as is the state after it. IOPS and MB/s (10^6
// bytes per second) count the reads completed in the window, which ends
// when the last worker stops; p50 and p99 are the latencies of single
// reads as the worker saw them (fio: lat_ns, submission to completion),
// from a histogram with 3 % buckets, timing every read or, with
// -lat-every K, every K-th (the warm mode's default is 16: a clock read
// costs a few per cent of a cached 4 KiB read). "cpu_us_per_op" is the
// process's user+system CPU over the window (fio: the job's usr_cpu and
// sys_cpu) per read. Weft runs also report their loop's counters over
// the window (loop.Stats): "loop_turns", "loop_polls", "loop_events".
//
// "others_cpu_s" is the CPU the rest of the machine used during the run,
// and "reported_mib" the free memory the VM handed back to its host
// (virtio-balloon free page reporting, which Linux does about 2 s after
// pages are freed): page-cache pages later allocated from it cost a host
// fault each, which can halve seq128k's MB/s for whichever implementation
// runs then. -settle waits between setting up the cache and the window
// (on such a VM, waiting makes it worse: leave it 0).
//
// A read that fails, comes back short or holds another block's header is
// counted ("errors", "bad"; the first is in "first_error") and the exit
// status is 1. A run that has not ended 60 s after its window should have
// prints a "hang" result with every goroutine's stack on stderr and exits
// with status 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A mode is what a run reads and how.
type mode struct {
	name   string
	bs     int  // bytes per read
	direct bool // O_DIRECT
	random bool // random offsets; sequential otherwise
	cache  string
}

// Cache states a mode asks for before the run.
const (
	cacheAny  = "any"  // left as it is (O_DIRECT does not use it)
	cacheCold = "cold" // fadvise(DONTNEED) on the whole file
	cacheWarm = "warm" // the whole file read once
)

var modes = []mode{
	{name: "rand4k-direct", bs: 4096, direct: true, random: true, cache: cacheAny},
	{name: "rand4k-cold", bs: 4096, random: true, cache: cacheCold},
	{name: "rand4k-warm", bs: 4096, random: true, cache: cacheWarm},
	{name: "seq128k", bs: 128 << 10, cache: cacheCold},
}

var impls = []string{"weft-uring", "weft-pool", "os", "fio"}

// result is the JSON line a run prints.
type result struct {
	Impl    string `json:"impl"`
	Mode    string `json:"mode"`
	Depth   int    `json:"depth"`
	BS      int    `json:"bs"`
	Direct  bool   `json:"direct"`
	File    string `json:"file"`
	Size    int64  `json:"file_size"`
	Seed    uint64 `json:"seed"`
	Backend string `json:"backend,omitempty"`     // weft: what fs.BackendOf reports
	Loops   int    `json:"loops,omitempty"`       // weft: loops the run used
	Turns   uint64 `json:"loop_turns,omitempty"`  // weft: the loop's turns over the window
	Polls   uint64 `json:"loop_polls,omitempty"`  // weft: its calls into the poller
	Events  uint64 `json:"loop_events,omitempty"` // weft: readiness events (the ring's eventfd)
	Threads string `json:"threads"`               // who does the reads
	MaxProc int    `json:"gomaxprocs"`
	Note    string `json:"note"`

	Ops       int64   `json:"ops"`
	Bytes     int64   `json:"bytes"`
	WindowS   float64 `json:"window_s"`
	IOPS      float64 `json:"iops"`
	MBps      float64 `json:"mbps"`
	P50us     float64 `json:"p50_us"`
	P99us     float64 `json:"p99_us"`
	LatEvery  int     `json:"lat_every"` // every how many reads one was timed
	CPUS      float64 `json:"cpu_s"`
	CPUusOp   float64 `json:"cpu_us_per_op"`
	OthersS   float64 `json:"others_cpu_s"` // CPU the rest of the machine used over the window
	Reported  float64 `json:"reported_mib"` // free memory the VM reported to its host during the run; -1: no reporting
	Cached0   float64 `json:"cached_before_pct"`
	Cached1   float64 `json:"cached_after_pct"`
	PrepS     float64 `json:"prep_s"` // dropping or warming the cache
	Errors    int64   `json:"errors"`
	Bad       int64   `json:"bad"`
	FirstErr  string  `json:"first_error,omitempty"`
	FioVer    string  `json:"fio_version,omitempty"`
	FioCmd    string  `json:"fio_cmd,omitempty"`
	Hang      bool    `json:"hang,omitempty"`
	StartedAt string  `json:"started_at"`
}

func main() {
	prepare := flag.Bool("prepare", false, "write the test file (unless a good one is there) and exit")
	size := flag.Int64("size", 1<<30, "-prepare: the test file's size in bytes (a multiple of 128 KiB)")
	file := flag.String("file", "", "the test file")
	impl := flag.String("impl", "", "weft-uring, weft-pool, os or fio")
	modeF := flag.String("mode", "", "rand4k-direct, rand4k-cold, rand4k-warm or seq128k")
	depth := flag.Int("depth", 1, "reads in flight: fibers (weft), goroutines (os), iodepth (fio)")
	dur := flag.Duration("d", 5*time.Second, "the measured window")
	seed := flag.Uint64("seed", 1, "seed of the offsets' PRNGs (one per worker: seed, worker)")
	latEvery := flag.Int("lat-every", 0, "time every K-th read (0: 16 for rand4k-warm, 1 otherwise)")
	settle := flag.Duration("settle", 0, "wait between setting up the page cache and the window")
	fioBin := flag.String("fio", "fio", "the fio binary")
	flag.Parse()

	if *file == "" {
		fatal("-file is required")
	}
	if *prepare {
		if err := prepareFile(*file, *size); err != nil {
			fatal("%v", err)
		}
		return
	}
	var m mode
	for _, x := range modes {
		if x.name == *modeF {
			m = x
		}
	}
	if m.name == "" {
		fatal("-mode %q: want one of %s", *modeF, modeNames())
	}
	if !slices.Contains(impls, *impl) {
		fatal("-impl %q: want one of %s", *impl, strings.Join(impls, ", "))
	}
	if *depth < 1 {
		fatal("-depth must be at least 1")
	}
	if *latEvery <= 0 {
		*latEvery = 1
		if m.cache == cacheWarm {
			*latEvery = 16
		}
	}
	fi, err := os.Stat(*file)
	if err != nil {
		fatal("%v (run with -prepare first)", err)
	}
	if fi.Size() < int64(m.bs) || fi.Size()%int64(m.bs) != 0 {
		fatal("%s: size %d is not a multiple of %d", *file, fi.Size(), m.bs)
	}

	r := &result{
		Impl: *impl, Mode: m.name, Depth: *depth, BS: m.bs, Direct: m.direct, File: *file, Size: fi.Size(),
		Seed: *seed, MaxProc: runtime.GOMAXPROCS(0), LatEvery: *latEvery,
	}
	t0 := time.Now()
	if r.Cached0, err = setCache(*file, m.cache); err != nil {
		fatal("%v", err)
	}
	r.PrepS = time.Since(t0).Seconds()
	// Dropping or filling a GiB of page cache leaves the kernel work to do
	// for a while (in a VM, reporting the freed pages to the host): let it
	// finish before the window.
	time.Sleep(*settle)
	r.StartedAt = time.Now().UTC().Format(time.RFC3339)

	watchdog(r, *dur+60*time.Second)
	spec := spec{mode: m, depth: *depth, file: *file, size: fi.Size(), dur: *dur, seed: *seed, latEvery: *latEvery}
	busy0, own0 := systemBusy(), cpuTime()+childCPUTime()
	rep0 := reportedKiB()
	switch *impl {
	case "weft-uring", "weft-pool":
		err = runWeft(spec, *impl, r)
	case "os":
		err = runOS(spec, r)
	case "fio":
		err = runFio(spec, *fioBin, r)
	}
	if err != nil {
		r.Errors++
		if r.FirstErr == "" {
			r.FirstErr = err.Error()
		}
	}
	// Read around the whole run (opening, fio's start-up), which is a
	// little more than the window; so is this process's and fio's CPU.
	if busy0 > 0 {
		r.OthersS = max(0, systemBusy()-busy0-(cpuTime()+childCPUTime()-own0))
	}
	r.Reported = -1
	if rep0 >= 0 {
		r.Reported = float64(reportedKiB()-rep0) / 1024
	}
	if c, err := cachedPct(*file); err == nil {
		r.Cached1 = c
	}
	if r.Ops > 0 {
		r.CPUusOp = r.CPUS / float64(r.Ops) * 1e6
	}
	emit(r)
	if r.Errors > 0 || r.Bad > 0 {
		os.Exit(1)
	}
}

// spec is what to measure.
type spec struct {
	mode     mode
	depth    int
	file     string
	size     int64
	dur      time.Duration
	seed     uint64
	latEvery int
}

// emit prints r as one JSON line.
func emit(r *result) {
	b, err := json.Marshal(r)
	if err != nil {
		fatal("%v", err)
	}
	os.Stdout.Write(append(b, '\n'))
}

// watchdog ends a run that hangs: it prints r marked as a hang, every
// goroutine's stack on stderr, and exits with status 2.
func watchdog(r *result, after time.Duration) {
	time.AfterFunc(after, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "fsbench: no result %v after the start: hung?\n%s\n", after, buf)
		emit(&result{Impl: r.Impl, Mode: r.Mode, Depth: r.Depth, BS: r.BS, Direct: r.Direct, File: r.File, Size: r.Size, Seed: r.Seed, Hang: true, Errors: 1,
			FirstErr: fmt.Sprintf("hang: no result %v after the start", after), StartedAt: r.StartedAt})
		os.Exit(2)
	})
}

// cpuTime returns the CPU seconds this process has used, user and system.
func cpuTime() float64 { return rusage(unix.RUSAGE_SELF) }

// childCPUTime returns the CPU seconds this process's children (fio) have
// used, once they have exited.
func childCPUTime() float64 { return rusage(unix.RUSAGE_CHILDREN) }

func rusage(who int) float64 {
	var ru unix.Rusage
	if unix.Getrusage(who, &ru) != nil {
		return 0
	}
	tv := func(t unix.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// systemBusy returns the CPU seconds all CPUs have spent running tasks
// (user, nice and system time) since boot, from /proc/stat; 0 if unknown.
// Interrupt time is left out, as the run's own I/O completions are much
// of it, and so is steal, the host's.
func systemBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy uint64
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0
		}
		if i <= 2 { // user, nice, system
			busy += v
		}
	}
	return float64(busy) / 100 // USER_HZ, 100 on every Linux Go runs on
}

// reportedKiB returns how much free memory this VM has reported to its
// host (virtio-balloon free page reporting) since boot, or -1 if it does
// not report. The host takes reported pages back, and the guest's next
// use of each costs a fault on the host: page-cache pages allocated from
// them make buffered reads slower, whichever implementation is running.
func reportedKiB() int64 {
	b, err := os.ReadFile("/sys/module/page_reporting/parameters/reported_kib")
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func modeNames() string {
	var s []string
	for _, m := range modes {
		s = append(s, m.name)
	}
	return strings.Join(s, ", ")
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "fsbench: "+format+"\n", a...)
	os.Exit(1)
}
