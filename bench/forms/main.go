//go:build linux

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// result is the JSON line a run prints.
type result struct {
	Impl      string  `json:"impl"`
	Scenario  string  `json:"scenario"`
	Pairs     int     `json:"pairs,omitempty"`
	Active    int     `json:"active,omitempty"`
	Batch     int     `json:"batch,omitempty"`
	Size      int     `json:"size"`
	MaxProc   int     `json:"gomaxprocs"`
	Ops       int64   `json:"ops"`
	WindowS   float64 `json:"window_s"`
	NsOp      float64 `json:"ns_per_op"`
	CPUS      float64 `json:"cpu_s"`
	CPUNsOp   float64 `json:"cpu_ns_per_op"`
	OthersS   float64 `json:"others_cpu_s"`
	Threads   int     `json:"threads"` // the process's threads at the end of the window
	Error     string  `json:"error,omitempty"`
	Hang      bool    `json:"hang,omitempty"`
	StartedAt string  `json:"started_at"`
}

// A runner starts an implementation on a load and returns the function
// that stops it and waits until every goroutine, fd and ring it made is
// gone.
type runner func(ld *load) (stop func() error, err error)

var pingpong = map[string]runner{
	"thread":     runThread,
	"go-net":     runGoNet,
	"poll":       runPoll,
	"epoll":      runEpoll,
	"uring":      runURing,
	"weft-loop":  runWeftLoop,
	"weft-uring": runWeftURing,
	"weft-fiber": runWeftFiber,
}

var msgs = map[string]msgRunner{
	"syscalls":    msgSyscalls,
	"mmsg":        msgMmsg,
	"uring-batch": msgURing,
	"uring-reg":   msgURingReg,
}

func main() {
	impl := flag.String("impl", "", "the implementation (see the package comment)")
	scenario := flag.String("scenario", "pingpong", "pingpong or msgs")
	pairs := flag.Int("pairs", 1, "pingpong: socket pairs")
	active := flag.Int("active", 0, "pingpong: active pairs (0: all)")
	batch := flag.Int("batch", 32, "msgs: messages per batch")
	size := flag.Int("size", 64, "bytes per message")
	warm := flag.Duration("warm", 200*time.Millisecond, "load before the window")
	dur := flag.Duration("d", time.Second, "the measured window")
	flag.Parse()

	r := &result{Impl: *impl, Scenario: *scenario, Size: *size, MaxProc: runtime.GOMAXPROCS(0)}
	var err error
	switch *scenario {
	case "pingpong":
		if *active == 0 {
			*active = *pairs
		}
		r.Pairs, r.Active = *pairs, *active
		run, ok := pingpong[*impl]
		switch {
		case !ok:
			fatal("-impl %q: want one of %s", *impl, names(pingpong))
		case *pairs < 1 || *active < 1 || *active > *pairs:
			fatal("-pairs must be at least 1 and -active from 1 to -pairs")
		case *size < 1 || *size > 4096:
			fatal("-size must be from 1 to 4096")
		}
		watchdog(r, *warm+*dur+30*time.Second)
		err = measure(r, *warm, *dur, func() (func() int64, func() error, error) {
			ld := newLoad(*pairs, *active, *size)
			stop, err := run(ld)
			return ld.ops.Load, stop, err
		})
	case "msgs":
		r.Batch = *batch
		run, ok := msgs[*impl]
		switch {
		case !ok:
			fatal("-impl %q: want one of %s", *impl, names(msgs))
		case *batch < 1 || *batch > 1024:
			fatal("-batch must be from 1 to 1024")
		case *size < 1 || *size > 4096:
			fatal("-size must be from 1 to 4096")
		}
		watchdog(r, *warm+*dur+30*time.Second)
		err = measure(r, *warm, *dur, func() (func() int64, func() error, error) {
			return startMsgs(run, *batch, *size)
		})
	default:
		fatal("-scenario %q: want pingpong or msgs", *scenario)
	}
	if err != nil {
		r.Error = err.Error()
	}
	emit(r)
	if err != nil {
		os.Exit(1)
	}
}

// measure starts the load, lets it warm up, and measures the window.
// start returns the count of operations so far, and the stop function.
func measure(r *result, warm, dur time.Duration, start func() (ops func() int64, stop func() error, err error)) error {
	ops, stop, err := start()
	if err != nil {
		return err
	}
	time.Sleep(warm)
	r.StartedAt = time.Now().UTC().Format(time.RFC3339)
	busy0, cpu0, ops0, t0 := systemBusy(), cpuTime(), ops(), time.Now()
	time.Sleep(dur)
	ops1, cpu1, window, busy1 := ops(), cpuTime(), time.Since(t0), systemBusy()
	r.Threads = threads()
	serr := stop()
	r.Ops = ops1 - ops0
	r.WindowS = window.Seconds()
	r.CPUS = cpu1 - cpu0
	if busy0 > 0 {
		r.OthersS = max(0, busy1-busy0-r.CPUS)
	}
	if r.Ops > 0 {
		r.NsOp = float64(window.Nanoseconds()) / float64(r.Ops)
		r.CPUNsOp = r.CPUS * 1e9 / float64(r.Ops)
	}
	if serr != nil {
		return serr
	}
	if r.Ops == 0 {
		return fmt.Errorf("no operation completed in the window")
	}
	return nil
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
		fmt.Fprintf(os.Stderr, "formsbench: no result %v after the start: hung?\n%s\n", after, buf)
		h := *r
		h.Hang, h.Error = true, fmt.Sprintf("hang: no result %v after the start", after)
		emit(&h)
		os.Exit(2)
	})
}

func names[V any](m map[string]V) string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "formsbench: "+format+"\n", a...)
	os.Exit(1)
}
