// Command harness runs the reverse-proxy benchmark of issue 7: wrk against
// GET /hello through weft's examples/proxy (one loop), nginx (one worker,
// keep-alive to the upstream) and Go's httputil.ReverseProxy (GOMAXPROCS
// 1), one after the other in rotating order, round after round, against
// the same net/http upstream; and writes a markdown table of the medians:
// requests/s, p50/p99 latency and the proxy's CPU per request, read from
// /proc over wrk's window.
//
//	go run ./proxy/harness -bin DIR [-rounds 3] [-d 5s] [-conns 50,500] [-md ../docs/proxy-bench.md]
//
// DIR holds the binaries proxy, revproxy and upstream (scripts/bench_proxy.sh
// builds them); nginx and wrk must be installed.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/weftio/weft/bench/internal/harness"
)

func main() {
	bin := flag.String("bin", "", "directory with the proxy, revproxy and upstream binaries")
	rounds := flag.Int("rounds", 3, "rounds")
	d := flag.Duration("d", 5*time.Second, "wrk's measured window per run")
	connsFlag := flag.String("conns", "50,500", "wrk connection counts")
	md := flag.String("md", "", "markdown report to write (empty: stdout)")
	cmdLine := flag.String("cmd", "scripts/bench_proxy.sh", "the command that reproduces the run, for the report")
	parked := flag.Bool("parked", false, "also run weft's proxy as it was before its loops blocked in epoll_wait: -wait park, GOMAXPROCS left at the core count (impl weft-park)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "harness: -bin is required")
		os.Exit(2)
	}
	var conns []int
	for _, s := range strings.Split(*connsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "harness: -conns %q\n", *connsFlag)
			os.Exit(2)
		}
		conns = append(conns, n)
	}
	if *parked {
		impls = append(impls, "weft-park")
	}
	if err := run(*bin, *rounds, *d, conns, *md, *cmdLine); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

// result is one wrk run through one proxy.
type result struct {
	impl       string
	conns      int
	round      int
	rps        float64
	p50, p99   time.Duration
	cpuPerReq  time.Duration
	errs       int
	timeoutErr int
}

var impls = []string{"weft", "nginx", "httputil"}

func run(bin string, rounds int, d time.Duration, conns []int, md, cmdLine string) error {
	tmp, err := os.MkdirTemp("", "proxy-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	up, upAddr, err := start(exec.Command(filepath.Join(bin, "upstream")), "GOMAXPROCS=1")
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	defer stop(up)
	var all []result
	started := time.Now()
	for _, t := range harness.Schedule(rounds, conns, func(int) []string { return impls }) {
		n, impl := t.Scenario, t.Impl
		res, err := runOne(bin, tmp, impl, upAddr, n, d)
		if err != nil {
			return fmt.Errorf("round %d, %s at %d connections: %w", t.Round, impl, n, err)
		}
		res.round = t.Round
		all = append(all, res)
		fmt.Fprintf(os.Stderr, "round %d  %-9s c=%-4d %8.0f req/s  p50 %7v  p99 %7v  %6.1f µs CPU/req  errors %d\n",
			t.Round, impl, n, res.rps, res.p50, res.p99, float64(res.cpuPerReq.Nanoseconds())/1e3, res.errs)
	}
	report := render(all, conns, rounds, d, cmdLine, started)
	if md == "" {
		fmt.Print(report)
		return nil
	}
	return os.WriteFile(md, []byte(report), 0o644)
}

// runOne starts one proxy, warms it up, and measures one wrk window.
func runOne(bin, tmp, impl, upAddr string, conns int, d time.Duration) (result, error) {
	var (
		cmd  *exec.Cmd
		addr string
		err  error
	)
	switch impl {
	case "weft":
		cmd, addr, err = start(exec.Command(filepath.Join(bin, "proxy"), "-listen", "127.0.0.1:0", "-upstream", upAddr,
			"-loops", "1", "-health-interval", "0", "-max-conns", "0"))
	case "weft-park":
		cmd, addr, err = start(exec.Command(filepath.Join(bin, "proxy"), "-listen", "127.0.0.1:0", "-upstream", upAddr,
			"-loops", "1", "-health-interval", "0", "-max-conns", "0", "-wait", "park"), fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU()))
	case "httputil":
		cmd, addr, err = start(exec.Command(filepath.Join(bin, "revproxy"), "-upstream", upAddr), "GOMAXPROCS=1")
	case "nginx":
		cmd, addr, err = startNginx(tmp, upAddr)
	}
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	url := "http://" + addr + "/hello"
	if _, err := wrk(url, conns, time.Second); err != nil { // warm-up
		return result{}, err
	}
	before, err := treeCPU(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	res, err := wrk(url, conns, d)
	if err != nil {
		return result{}, err
	}
	after, err := treeCPU(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	res.impl, res.conns = impl, conns
	if reqs := res.rps * d.Seconds(); reqs > 0 {
		res.cpuPerReq = time.Duration(float64(after-before) / reqs)
	}
	return res, nil
}

// start runs cmd with env added and waits for its "listening on ADDR"
// line (on stdout or stderr).
func start(cmd *exec.Cmd, env ...string) (*exec.Cmd, string, error) {
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (\S+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, nil
	case <-time.After(10 * time.Second):
		stop(cmd)
		return nil, "", errors.New("did not start listening in 10 s")
	}
}

// stop ends a process (and nginx's workers) and waits for it.
func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// startNginx writes a config (one worker, keep-alive to the upstream) and
// runs nginx in the foreground from it.
func startNginx(tmp, upAddr string) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	upstream up { server %[2]s; keepalive 512; }
	server {
		listen %[3]s;
		location / {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
`, tmp, upAddr, addr)
	path := filepath.Join(tmp, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, "", err
	}
	cmd := exec.Command("nginx", "-c", path, "-e", filepath.Join(tmp, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd, addr, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop(cmd)
	return nil, "", errors.New("nginx did not start listening in 5 s")
}

// wrk runs one wrk window and parses its figures.
func wrk(url string, conns int, d time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", "-t1", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%.0fs", d.Seconds()),
		"--timeout", "5s", "--latency", url).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

func parseWrk(out string) (result, error) {
	var r result
	m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, q := range []struct {
		label string
		dst   *time.Duration
	}{{"50%", &r.p50}, {"99%", &r.p99}} {
		m := regexp.MustCompile(regexp.QuoteMeta(q.label) + `\s+([\d.]+)(us|ms|s)`).FindStringSubmatch(out)
		if m == nil {
			return r, fmt.Errorf("no %s latency in wrk's output", q.label)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		*q.dst = time.Duration(v * float64(unit))
	}
	if m := regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`).FindStringSubmatch(out); m != nil {
		r.errs, _ = strconv.Atoi(m[1])
	}
	if m := regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`).FindStringSubmatch(out); m != nil {
		for _, s := range m[1:4] {
			n, _ := strconv.Atoi(s)
			r.errs += n
		}
		r.timeoutErr, _ = strconv.Atoi(m[4])
	}
	return r, nil
}

// treeCPU is the user+system CPU time of pid and its children (nginx's
// workers), from /proc.
func treeCPU(pid int) (time.Duration, error) {
	pids := []int{pid}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		if pp, _, err := statOf(p); err == nil && pp == pid {
			pids = append(pids, p)
		}
	}
	var total time.Duration
	for _, p := range pids {
		_, cpu, err := statOf(p)
		if err != nil && p == pid {
			return 0, err
		}
		total += cpu
	}
	return total, nil
}

// statOf reads a process's parent and user+system CPU time.
func statOf(pid int) (ppid int, cpu time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0, 0, errors.New("short stat")
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ
	return ppid, time.Duration(ut+st) * time.Second / hz, nil
}
