//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/testcert"
)

// TestHTTP_TLS terminates TLS on the listener with a test certificate that
// the client verifies, and forwards with X-Forwarded-Proto: https.
func TestHTTP_TLS(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto=%s", r.Header.Get("X-Forwarded-Proto"))
	}))
	defer up.Close()
	cert := testcert.New(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, cert.CertPEM, 0o600)
	os.WriteFile(keyFile, cert.KeyPEM, 0o600)
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}, tlsCert: certFile, tlsKey: keyFile})
	ccfg := cert.Client.Clone()
	ccfg.NextProtos = []string{"http/1.1"} // offer ALPN, as curl does
	tr := &http.Transport{TLSClientConfig: ccfg}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	_, port, _ := net.SplitHostPort(addr)
	for range 3 { // keep-alive over TLS too
		resp, err := cl.Get("https://localhost:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "proto=https" || resp.TLS == nil || resp.TLS.NegotiatedProtocol != "http/1.1" {
			t.Fatalf("over TLS: %q, TLS state %+v", b, resp.TLS)
		}
	}
}

// TestHTTP_Admin: /healthz answers and /metrics counts what was served.
func TestHTTP_Admin(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	defer up.Close()
	adminAddr := freeAddr(t)
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}, admin: adminAddr})
	cl := client(t)
	for range 5 {
		resp, err := cl.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := cl.Get("http://" + adminAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok\n" {
		t.Fatalf("/healthz: %q", b)
	}
	m := metrics(t, adminAddr)
	want := fmt.Sprintf("weft_proxy_upstream_requests_total{upstream=%q} 5\n", up.Listener.Addr().String())
	if !strings.Contains(m, want) || !strings.Contains(m, "# TYPE weft_proxy_client_connections gauge") ||
		!strings.Contains(m, "weft_loop_") { // the loops' own metrics, from package debug

		t.Fatalf("/metrics lacks %q:\n%s", want, m)
	}
}

// TestHTTP_Slowloris: a client that trickles its headers is cut off at
// -header-timeout, and one idle between requests at -idle-timeout.
func TestHTTP_Slowloris(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}, headerTimeout: 300 * time.Millisecond, idleTimeout: 300 * time.Millisecond})
	for _, trickle := range []bool{true, false} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, c) // returns when the proxy closes
			close(closed)
		}()
		if trickle {
			// One header byte every 50 ms: it would take seconds.
			for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz\r\n") {
				if _, err := c.Write([]byte{b}); err != nil {
					break
				}
				select {
				case <-closed:
				case <-time.After(50 * time.Millisecond):
					continue
				}
				break
			}
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("trickle=%v: the proxy kept the connection for 5 s", trickle)
		}
		if took := time.Since(start); took < 250*time.Millisecond {
			t.Fatalf("trickle=%v: cut off after %v, before the timeout", trickle, took)
		}
		c.Close()
	}
}

// TestHTTP_ManyClients: 2,000 clients at once, each with a request of its
// own, are all served.
func TestHTTP_ManyClients(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Query().Get("n"))
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})
	const n = 2000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			fmt.Fprintf(c, "GET /?n=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", i)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != fmt.Sprint(i) {
				errs <- fmt.Errorf("client %d got %q", i, b)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	failed := 0
	var first error
	for err := range errs {
		if first == nil {
			first = err
		}
		failed++
	}
	if failed > 0 {
		t.Fatalf("%d of %d clients failed; first: %v", failed, n, first)
	}
}

// TestHTTP_LargeBodies: 100 MB up and 100 MB down through the proxy, with
// SHA-256 checks on both.
func TestHTTP_LargeBodies(t *testing.T) {
	fdtest.Check(t)
	const size = 100 << 20
	gen := func(seed byte) io.Reader {
		return io.LimitReader(rand.NewChaCha8([32]byte{seed}), size)
	}
	sumOf := func(r io.Reader) string {
		h := sha256.New()
		io.Copy(h, r)
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.WriteString(w, sumOf(r.Body))
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.Copy(w, gen(2))
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})
	cl := client(t)
	req, _ := http.NewRequest("POST", "http://"+addr+"/", gen(1))
	req.ContentLength = size
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := sumOf(gen(1)); string(got) != want {
		t.Fatalf("upload: the upstream hashed %s, want %s", got, want)
	}
	resp, err = cl.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	got2 := sumOf(resp.Body)
	resp.Body.Close()
	if want := sumOf(gen(2)); got2 != want {
		t.Fatalf("download: hashed %s, want %s", got2, want)
	}
}
