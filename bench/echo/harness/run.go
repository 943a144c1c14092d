//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/weftio/weft/bench/internal/harness"
)

// scenario is one kind of load.
type scenario struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // rr, stream or idle
	Conns int    `json:"conns"`
	Size  int    `json:"size"`
}

// Run is one run: one implementation, one scenario, one fresh server
// process.
type Run struct {
	Round    int    `json:"round"`
	Scenario string `json:"scenario"`
	Kind     string `json:"kind"`
	Conns    int    `json:"conns"`
	Impl     string `json:"impl"`
	Start    string `json:"start"`

	// Problems holds, beside why the run failed, warnings that do not
	// fail it: a server that reported connection errors, that was slow
	// to exit.
	harness.Status

	DialS float64 `json:"dial_s"`

	// rr and stream: the client's window and the harness's sampling of it.
	WindowS      float64 `json:"window_s,omitempty"`
	HostWindowS  float64 `json:"host_window_s,omitempty"`
	ServerCPUS   float64 `json:"server_cpu_s,omitempty"`
	ServerUserS  float64 `json:"server_user_s,omitempty"` // of ServerCPUS, in user mode
	ServerReads  int64   `json:"server_reads,omitempty"`  // read system calls in the window
	ServerWrites int64   `json:"server_writes,omitempty"` // write system calls in the window
	ClientCPUS   float64 `json:"client_cpu_s,omitempty"`
	OtherCPUS    float64 `json:"other_cpu_s,omitempty"` // every other process, over the window

	// rr
	Requests     int64   `json:"requests,omitempty"`
	RPS          float64 `json:"rps,omitempty"`
	P50us        float64 `json:"p50_us,omitempty"`
	P99us        float64 `json:"p99_us,omitempty"`
	CPUusPerReq  float64 `json:"cpu_us_per_req,omitempty"`
	UserusPerReq float64 `json:"user_us_per_req,omitempty"`

	// stream
	Bytes      int64   `json:"bytes,omitempty"`
	MBps       float64 `json:"mbps,omitempty"`
	CPUsPerGB  float64 `json:"cpu_s_per_gb,omitempty"`
	ServerCore float64 `json:"server_cores,omitempty"` // server CPU s per second of window

	// idle
	RSSBefore      int64   `json:"rss_before,omitempty"`
	RSSOpen        int64   `json:"rss_open,omitempty"`
	RSSEcho        int64   `json:"rss_echo,omitempty"`
	BytesPerConnO  float64 `json:"bytes_per_conn_open,omitempty"`
	BytesPerConnE  float64 `json:"bytes_per_conn_echo,omitempty"`
	ServerExitLine string  `json:"server_exit,omitempty"`
}

// Key says which run r is.
func (r Run) Key() harness.Key {
	return harness.Key{Scenario: r.Scenario, Impl: r.Impl, Round: r.Round}
}

// proc is a child process whose output is read line by line.
type proc struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, closed at EOF
	stderr *tail
	stdin  io.WriteCloser
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, once done
}

// tail keeps the last bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if n := len(t.buf); n > 4096 {
		t.buf = append(t.buf[:0], t.buf[n-4096:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

func start(name string, args ...string) (*proc, error) {
	p := &proc{cmd: exec.Command(name, args...), lines: make(chan string, 64), stderr: &tail{}, done: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it all first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) signal(s syscall.Signal) { _ = p.cmd.Process.Signal(s) }

// stop sends SIGTERM and waits up to grace, then kills. It reports
// whether the process exited by itself within grace.
func (p *proc) stop(grace time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// config is how runs are made.
type config struct {
	bin     string
	dur     time.Duration
	warmup  time.Duration
	settle  time.Duration // before each RSS reading
	verbose bool
}

// sample is a reading of the counters.
type sample struct {
	t                               time.Time
	server, serverUser, client, sys float64
	reads, writes                   int64
}

func takeSample(server, client int) (sample, error) {
	s := sample{t: time.Now()}
	var cu, cs, ss float64
	var err1, err2, err3, err4 error
	s.serverUser, ss, err1 = procCPU(server)
	cu, cs, err2 = procCPU(client)
	s.sys, err3 = systemBusy()
	s.reads, s.writes, err4 = procIO(server)
	s.server, s.client = s.serverUser+ss, cu+cs
	return s, errors.Join(err1, err2, err3, err4)
}

// run starts a server of the turn's implementation, runs the client of
// its scenario against it, and measures.
func (cfg config) run(t harness.Turn[scenario]) (r Run) {
	sc, impl := t.Scenario, t.Impl
	r = Run{Round: t.Round, Scenario: sc.Name, Kind: sc.Kind, Conns: sc.Conns, Impl: impl, Start: time.Now().UTC().Format(time.RFC3339)}
	srv, err := start(cfg.bin+"/server", "-impl", impl, "-addr", "127.0.0.1:0")
	if err != nil {
		r.Fail("start server: %v", err)
		return r
	}
	var (
		exitLine string
		drained  chan struct{} // closed when the drainer has read stdout to EOF
	)
	// drain reads the server's stdout to EOF, keeping its last JSON line
	// (the exit line).
	drain := func() {
		for line := range srv.lines {
			if strings.HasPrefix(line, "{") {
				exitLine = line
			}
		}
	}
	defer func() {
		clean := srv.stop(20 * time.Second)
		if drained != nil {
			<-drained
		} else {
			drain()
		}
		r.ServerExitLine = exitLine
		if !clean {
			r.Fail("server did not exit within 20 s of SIGTERM (killed); stderr: %q", srv.stderr.String())
		} else if srv.err != nil {
			r.Fail("server exited with %v; stderr: %q", srv.err, srv.stderr.String())
		}
		var ex struct {
			ConnErrors int64   `json:"conn_errors"`
			FirstError string  `json:"first_error"`
			StopError  string  `json:"stop_error"`
			StopS      float64 `json:"stop_s"`
			Accepted   int64   `json:"accepted"`
		}
		if exitLine == "" {
			if clean {
				r.Warn("server printed no exit line")
			}
			return
		}
		if err := json.Unmarshal([]byte(exitLine), &ex); err != nil {
			r.Warn("server exit line %q: %v", exitLine, err)
			return
		}
		if ex.ConnErrors > 0 {
			r.Warn("server reported %d connection errors, the first: %s", ex.ConnErrors, ex.FirstError)
		}
		if ex.StopError != "" {
			r.Fail("server stop error: %s", ex.StopError)
		}
		if ex.StopS > 5 {
			r.Warn("server took %.1f s to stop", ex.StopS)
		}
	}()

	// Wait for "listening on ADDR".
	var addr string
	timeout := time.After(15 * time.Second)
	for addr == "" {
		select {
		case line, ok := <-srv.lines:
			if !ok {
				<-srv.done
				r.Fail("server exited before listening: %v; stderr: %q", srv.err, srv.stderr.String())
				return r
			}
			if a, found := strings.CutPrefix(line, "listening on "); found {
				addr = strings.TrimSpace(a)
			}
		case <-timeout:
			r.Fail("server printed no \"listening on\" within 15 s")
			return r
		}
	}
	// Drain the server's stdout from here on.
	drained = make(chan struct{})
	go func() {
		defer close(drained)
		drain()
	}()
	args := []string{"-addr", addr, "-mode", sc.Kind, "-c", fmt.Sprint(sc.Conns), "-size", fmt.Sprint(sc.Size)}
	clientTimeout := cfg.warmup + cfg.dur + 90*time.Second
	if sc.Kind == "idle" {
		args = append(args, "-sync")
		clientTimeout = 180 * time.Second
		time.Sleep(cfg.settle)
		if r.RSSBefore, err = procRSS(srv.pid()); err != nil {
			r.Fail("server RSS: %v", err)
			return r
		}
	} else {
		args = append(args, "-d", cfg.dur.String(), "-warmup", cfg.warmup.String())
	}
	cl, err := start(cfg.bin+"/client", args...)
	if err != nil {
		r.Fail("start client: %v", err)
		return r
	}
	defer func() {
		if !cl.stop(30 * time.Second) {
			r.Fail("client did not exit within 30 s of SIGTERM")
		}
	}()

	var (
		s0, s1   sample
		result   map[string]any
		deadline = time.After(clientTimeout)
	)
loop:
	for {
		select {
		case line, ok := <-cl.lines:
			if !ok {
				break loop
			}
			if cfg.verbose {
				fmt.Fprintf(os.Stderr, "    client: %s\n", line)
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				r.Warn("client printed %q", line)
				continue
			}
			switch ev["event"] {
			case "connected":
				r.DialS = num(ev["dial_s"])
				if sc.Kind == "idle" {
					time.Sleep(cfg.settle)
					if r.RSSOpen, err = procRSS(srv.pid()); err != nil {
						r.Fail("server RSS: %v", err)
					}
					fmt.Fprintln(cl.stdin)
				}
			case "start":
				if s0, err = takeSample(srv.pid(), cl.pid()); err != nil {
					r.Fail("CPU sample: %v", err)
				}
			case "end":
				if s1, err = takeSample(srv.pid(), cl.pid()); err != nil {
					r.Fail("CPU sample: %v", err)
				}
			case "ready":
				if n := num(ev["errors"]); n > 0 {
					r.Fail("client: %v echo errors, the first: %v", n, ev["first_error"])
				}
				time.Sleep(cfg.settle)
				if r.RSSEcho, err = procRSS(srv.pid()); err != nil {
					r.Fail("server RSS: %v", err)
				}
				cl.signal(syscall.SIGTERM)
			case "result":
				result = ev
			}
		case <-srv.done:
			r.Fail("server exited during the run: %v; stderr: %q", srv.err, srv.stderr.String())
			cl.stop(5 * time.Second)
			break loop
		case <-deadline:
			r.Fail("client did not finish within %v (server hung?); client stderr: %q", clientTimeout, cl.stderr.String())
			cl.stop(5 * time.Second)
			break loop
		}
	}
	go func() {
		for range cl.lines { // let the client's stdout reach EOF
		}
	}()
	<-cl.done
	if result == nil {
		r.Fail("client printed no result (%v); stderr: %q", cl.err, cl.stderr.String())
		return r
	}
	if n := num(result["errors"]); n > 0 {
		r.Fail("client: %v errors, the first: %v", n, result["first_error"])
	} else if cl.err != nil {
		r.Fail("client exited with %v; stderr: %q", cl.err, cl.stderr.String())
	}
	switch sc.Kind {
	case "rr", "stream":
		if s0.t.IsZero() || s1.t.IsZero() {
			r.Fail("no CPU samples")
			return r
		}
		r.WindowS = num(result["window_s"])
		r.HostWindowS = s1.t.Sub(s0.t).Seconds()
		r.ServerCPUS = s1.server - s0.server
		r.ServerUserS = s1.serverUser - s0.serverUser
		r.ServerReads, r.ServerWrites = s1.reads-s0.reads, s1.writes-s0.writes
		r.ClientCPUS = s1.client - s0.client
		r.OtherCPUS = max(0, (s1.sys-s0.sys)-r.ServerCPUS-r.ClientCPUS)
		// The server's CPU rate over the harness's window, times the
		// client's window: the CPU the server spent in the client's
		// window (the two windows differ by the pipe's delay).
		r.ServerCore = r.ServerCPUS / r.HostWindowS
		cpu := r.ServerCore * r.WindowS
		if sc.Kind == "rr" {
			r.Requests = int64(num(result["requests"]))
			r.RPS = num(result["rps"])
			r.P50us = num(result["p50_us"])
			r.P99us = num(result["p99_us"])
			if r.Requests > 0 {
				r.CPUusPerReq = cpu / float64(r.Requests) * 1e6
				r.UserusPerReq = r.ServerUserS / r.HostWindowS * r.WindowS / float64(r.Requests) * 1e6
			}
		} else {
			r.Bytes = int64(num(result["bytes"]))
			r.MBps = num(result["mbps"])
			if r.Bytes > 0 {
				r.CPUsPerGB = cpu / (float64(r.Bytes) / 1e9)
			}
		}
	case "idle":
		if r.RSSBefore > 0 && r.RSSOpen > 0 && r.RSSEcho > 0 {
			r.BytesPerConnO = float64(r.RSSOpen-r.RSSBefore) / float64(sc.Conns)
			r.BytesPerConnE = float64(r.RSSEcho-r.RSSBefore) / float64(sc.Conns)
		} else if !r.Failed {
			r.Fail("missing RSS readings")
		}
	}
	return r
}

// num is a JSON number of the client's (decoded as float64), or 0.
func num(v any) float64 {
	x, _ := v.(float64)
	return x
}
