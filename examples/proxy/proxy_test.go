//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/internal/fdtest"
)

// TestMain makes Go's own netpoller open its fds (an epoll fd and an
// eventfd, kept for the life of the process) before any test counts fds,
// and fails the run if a goroutine is left behind.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		main() // the test binary as the proxy command, for TestSIGTERM
		return
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	goleak.VerifyTestMain(m)
}

// startProxy runs the proxy in this process with c and returns its
// address; the cleanup stops it as a signal would and checks it exits
// cleanly.
func startProxy(t testing.TB, c config) string {
	t.Helper()
	if c.listen == "" {
		c.listen = "127.0.0.1:0"
	}
	defaults, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.mode == "" {
		c.mode = defaults.mode
	}
	if c.loops == 0 {
		c.loops = 2
	}
	if c.balance == "" {
		c.balance = defaults.balance
	}
	if c.wait == "" {
		c.wait = defaults.wait
	}
	for _, d := range []*time.Duration{&c.connectTimeout, &c.idleTimeout, &c.headerTimeout, &c.upstreamTimeout} {
		if *d == 0 {
			*d = 5 * time.Second
		}
	}
	if c.drain == 0 {
		c.drain = 5 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, c, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := regexp.MustCompile(`^listening on (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("proxy: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("proxy did not stop within 10 s of the signal")
		}
	})
	select {
	case a := <-addr:
		return a
	case err := <-done:
		t.Fatalf("proxy exited: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("proxy did not start")
	}
	return ""
}

// client is an HTTP client whose idle connections are closed at cleanup.
func client(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// fetched is the outcome of getAsync.
type fetched struct {
	body string
	err  error
}

// getAsync GETs url on a goroutine of its own; the channel gets the body.
func getAsync(cl *http.Client, url string) <-chan fetched {
	res := make(chan fetched, 1)
	go func() {
		resp, err := cl.Get(url)
		if err != nil {
			res <- fetched{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- fetched{string(b), err}
	}()
	return res
}

// dialRaw connects to addr for a hand-written exchange, with a 10 s
// deadline; the cleanup closes it.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func TestParse(t *testing.T) {
	if _, err := parse(nil, io.Discard); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"-mode", "udp"}, "-mode"},
		{[]string{"-balance", "random"}, "-balance"},
		{[]string{"-wait", "spin"}, "-wait"},
		{[]string{"-loops", "0"}, "-loops"},
		{[]string{"-max-conns", "-1"}, "-max-conns"},
		{[]string{"-idle-timeout", "0s"}, "-idle-timeout"},
		{[]string{"-tls-cert", "c.pem"}, "-tls-cert"},
		{[]string{"-mode", "tcp", "-tls-cert", "c.pem", "-tls-key", "k.pem"}, "-tls-cert"},
		{[]string{"-nonsense"}, "-nonsense"},
		{[]string{"extra"}, "extra"},
	} {
		_, err := parse(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("parse(%q) = %v, want an error naming %s", c.args, err, c.flag)
		}
	}
}

// TestHTTP_Forwarding: headers added and removed, bodies streamed both
// ways (a 10 MB POST with a SHA-256 check, chunked requests and
// responses), keep-alive reused on both sides.
// TestHTTP_Forwarding runs with loops that block their threads when they
// wait (the default, -wait block) and with loops that park (-wait park).
func TestHTTP_Forwarding(t *testing.T) {
	for _, wait := range []string{"block", "park"} {
		t.Run("wait="+wait, func(t *testing.T) { testForwarding(t, wait) })
	}
}

func testForwarding(t *testing.T, wait string) {
	fdtest.Check(t)
	var upConns atomic.Int64
	var seen sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		seen.Store("xff", r.Header.Get("X-Forwarded-For"))
		seen.Store("proto", r.Header.Get("X-Forwarded-Proto"))
		seen.Store("via", r.Header.Get("Via"))
		seen.Store("secret", r.Header.Get("X-Secret"))
		w.Header().Set("Connection", "X-Up-Secret")
		w.Header().Set("X-Up-Secret", "1")
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/sha", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush() // chunked, in pieces
		}
	})
	up := httptest.NewUnstartedServer(mux)
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			upConns.Add(1)
		}
	}
	up.Start()
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}, wait: wait})
	cl := client(t)

	req, _ := http.NewRequest("GET", "http://"+addr+"/headers", nil)
	req.Header.Set("Connection", "X-Secret")
	req.Header.Set("X-Secret", "1")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("X-Forwarded-Proto", "https") // a client's claim: replaced
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" || resp.Header.Get("X-Up-Secret") != "" || !strings.Contains(resp.Header.Get("Via"), "weft-proxy") {
		t.Fatalf("response %q, headers %v", body, resp.Header)
	}
	for k, want := range map[string]string{"xff": "10.0.0.1, 127.0.0.1", "proto": "http", "via": "1.1 weft-proxy", "secret": ""} {
		if got, _ := seen.Load(k); got != want {
			t.Errorf("upstream saw %s = %q, want %q", k, got, want)
		}
	}

	data := make([]byte, 10<<20)
	rand.NewChaCha8([32]byte{7}).Read(data)
	sum := sha256.Sum256(data)
	want := fmt.Sprintf("%d %x", len(data), sum)
	// Once with a length, once chunked (a body of unknown length).
	for _, chunked := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(data)
		if chunked {
			r = io.MultiReader(r) // hides the length: Transfer-Encoding: chunked
		}
		resp, err := cl.Post("http://"+addr+"/sha", "application/octet-stream", r)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != want {
			t.Fatalf("chunked=%v: upstream hashed %q, want %q", chunked, got, want)
		}
	}
	resp, err = cl.Get("http://" + addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "part 0\npart 1\npart 2\npart 3\npart 4\n" || len(resp.TransferEncoding) == 0 {
		t.Fatalf("chunked response: %q, Transfer-Encoding %v", got, resp.TransferEncoding)
	}
	// Keep-alive: more requests on the same client connection reuse the
	// upstream connection too.
	before := upConns.Load()
	for range 20 {
		resp, err := cl.Get("http://" + addr + "/headers")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := upConns.Load() - before; n != 0 {
		t.Errorf("20 requests opened %d new upstream connections, want 0 (kept alive)", n)
	}
}

// TestHTTP_Errors: 502 with no upstream, 504 when the upstream is slow,
// 400 for a malformed request, 503 over -max-conns.
func TestHTTP_Errors(t *testing.T) {
	fdtest.Check(t)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	addr := startProxy(t, config{upstreams: []string{deadAddr}})
	cl := client(t)
	if resp, err := cl.Get("http://" + addr + "/"); err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("no upstream: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	addr = startProxy(t, config{upstreams: []string{slow.Listener.Addr().String()}, upstreamTimeout: 200 * time.Millisecond, maxConns: 1})
	if resp, err := cl.Get("http://" + addr + "/"); err != nil || resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("slow upstream: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	raw := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, req)
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	if got := raw("NOT A REQUEST\r\n\r\n"); !strings.Contains(got, "400") {
		t.Fatalf("malformed request: %q, want 400", got)
	}
	// -max-conns 1: hold one connection, the next gets 503.
	hold, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	time.Sleep(50 * time.Millisecond) // let the proxy accept it
	if got := raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(got, "503") {
		t.Fatalf("over -max-conns: %q, want 503", got)
	}
}

// TestTCP_RoundTripHalfClose sends 200 MB through the proxy in tcp mode to
// an echo upstream, half-closes, and reads the whole echo back: with
// splice(2) (the default on Linux) and, 20 MB, copying (-splice=false).
func TestTCP_RoundTripHalfClose(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noSplice bool
		size     int
	}{{"splice", false, 200 << 20}, {"copy", true, 20 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			fdtest.Check(t)
			upAddr, stopUp, err := startDemo("tcp")
			if err != nil {
				t.Fatal(err)
			}
			defer stopUp()
			admin := freeAddr(t)
			addr := startProxy(t, config{mode: "tcp", upstreams: []string{upAddr}, noSplice: tc.noSplice, admin: admin})
			tcpRoundTrip(t, addr, tc.size)
			// Every byte went the way asked, both ways.
			m := metrics(t, admin)
			how, other := "splice", "copy"
			if tc.noSplice {
				how, other = other, how
			}
			for _, want := range []string{
				fmt.Sprintf("weft_proxy_tcp_bytes_total{how=%q} %d\n", how, 2*tc.size),
				fmt.Sprintf("weft_proxy_tcp_bytes_total{how=%q} 0\n", other),
			} {
				if !strings.Contains(m, want) {
					t.Errorf("/metrics lacks %q:\n%s", want, m)
				}
			}
		})
	}
}

// TestTCP_IdleTimeout: in tcp mode, with splice and copying, a tunnel in
// use stays open for longer than -idle-timeout, and one where nothing
// moves is closed at it.
func TestTCP_IdleTimeout(t *testing.T) {
	for _, noSplice := range []bool{false, true} {
		t.Run(fmt.Sprintf("noSplice=%v", noSplice), func(t *testing.T) {
			fdtest.Check(t)
			upAddr, stopUp, err := startDemo("tcp")
			if err != nil {
				t.Fatal(err)
			}
			defer stopUp()
			const idle = 200 * time.Millisecond
			addr := startProxy(t, config{mode: "tcp", upstreams: []string{upAddr}, idleTimeout: idle, noSplice: noSplice})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Keep it busy for three idle times with a byte every idle/4.
			buf := make([]byte, 1)
			for i := range 12 {
				if _, err := c.Write([]byte{byte(i)}); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				if _, err := io.ReadFull(c, buf); err != nil || buf[0] != byte(i) {
					t.Fatalf("echo %d: %v %v", i, buf, err)
				}
				time.Sleep(idle / 4)
			}
			// Now silence: the proxy closes it within a few idle times.
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(10 * idle))
			if _, err := c.Read(buf); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("silent tunnel not closed by the proxy: %v", err)
			}
			if d := time.Since(start); d < idle/2 {
				t.Errorf("closed after %v, before the idle time %v", d, idle)
			}
		})
	}
}

// freeAddr returns a loopback address nothing listens on, for -admin.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// metrics returns the proxy's /metrics page from its admin address.
func metrics(t *testing.T, admin string) string {
	t.Helper()
	resp, err := client(t).Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tcpRoundTrip writes size random bytes to addr, half-closes, and checks
// that the same bytes come back, then EOF.
func tcpRoundTrip(t *testing.T, addr string, size int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := sha256.New()
	werr := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<20)
		rng := rand.NewChaCha8([32]byte{9})
		for n := 0; n < size; n += len(buf) {
			rng.Read(buf)
			sent.Write(buf)
			if _, err := c.Write(buf); err != nil {
				werr <- err
				return
			}
		}
		werr <- c.(*net.TCPConn).CloseWrite()
	}()
	got := sha256.New()
	n, err := io.Copy(got, c)
	if err != nil || n != int64(size) {
		t.Fatalf("read back %d bytes, %v; want %d and EOF", n, err, size)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Fatal("the echo differs from what was sent")
	}
}

// TestHTTP_DrainOnSignal: the signal stops accepting, but a slow request
// in flight still gets its response, and the proxy then exits cleanly.
func TestHTTP_DrainOnSignal(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	}))
	defer up.Close()
	c := config{listen: "127.0.0.1:0", mode: "http", loops: 1, balance: "roundrobin", upstreams: []string{up.Listener.Addr().String()},
		connectTimeout: time.Second, idleTimeout: 5 * time.Second, headerTimeout: time.Second, upstreamTimeout: 5 * time.Second, drain: 5 * time.Second}
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { err := run(ctx, c, pw); pw.Close(); done <- err }()
	sc := bufio.NewScanner(pr)
	var addr string
	for sc.Scan() {
		if m := regexp.MustCompile(`^listening on (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	cl := client(t)
	res := getAsync(cl, "http://"+addr+"/")
	time.Sleep(100 * time.Millisecond)
	stop() // the signal, while the request is in flight
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Fatalf("request in flight at the signal: %q, %v", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the proxy did not exit after draining")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil || errors.Is(err, context.Canceled) {
		t.Fatal("the proxy still accepts after the signal")
	}
}
