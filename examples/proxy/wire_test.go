//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftio/weft/internal/fdtest"
)

// TestHTTP_Framing covers how forwarded messages are framed anew (wire.go):
// bodies without a body (HEAD, 204, 304) keep their Content-Length and
// send nothing; trailers pass both ways; an HTTP/1.0 client gets a chunked
// upstream body delimited by the close; a close-delimited upstream body
// reaches an HTTP/1.1 client in chunks on a connection kept alive; no
// User-Agent is invented; and every message goes out as HTTP/1.1.
func TestHTTP_Framing(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Proto != "HTTP/1.1" {
			http.Error(w, "upstream got "+r.Proto, http.StatusInternalServerError)
			return
		}
		switch r.URL.Path {
		case "/head":
			w.Header().Set("Content-Length", "5")
			if r.Method != http.MethodHead {
				io.WriteString(w, "hello")
			}
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "/notmodified":
			w.Header().Set("ETag", `"v7"`)
			w.WriteHeader(http.StatusNotModified)
		case "/chunked":
			io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush() // no length: chunked
			io.WriteString(w, "part two")
		case "/trailers":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Trailer", "X-Echo-Sum")
			io.WriteString(w, "got "+string(body)+" sum "+r.Trailer.Get("X-Sum"))
			w.Header().Set("X-Echo-Sum", r.Trailer.Get("X-Sum")+"!")
		case "/agent":
			io.WriteString(w, "agent="+strings.Join(r.Header["User-Agent"], ","))
		}
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})

	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	roundTrip := func(raw, method string) (*http.Response, string) {
		t.Helper()
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%q: body: %v", raw, err)
		}
		if resp.Proto != "HTTP/1.1" {
			t.Errorf("%q: response in %s, want the proxy's HTTP/1.1", raw, resp.Proto)
		}
		return resp, string(body)
	}
	// One keep-alive connection through all of these: a framing mistake
	// would show as a garbled next response.
	if resp, body := roundTrip("HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD"); resp.ContentLength != 5 || body != "" {
		t.Errorf("HEAD: length %d, body %q; want 5 and none", resp.ContentLength, body)
	}
	if resp, body := roundTrip("GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); resp.StatusCode != 204 || body != "" {
		t.Errorf("204: %d %q", resp.StatusCode, body)
	}
	if resp, body := roundTrip("GET /notmodified HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != `"v7"` {
		t.Errorf("304: %d %q, ETag %q", resp.StatusCode, body, resp.Header.Get("ETag"))
	}
	if resp, body := roundTrip("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); body != "part one, part two" || len(resp.TransferEncoding) == 0 {
		t.Errorf("chunked: %q, %v", body, resp.TransferEncoding)
	}
	resp, body := roundTrip("POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"+
		"5\r\nhello\r\n0\r\nX-Sum: 42\r\n\r\n", "POST")
	if body != "got hello sum 42" || resp.Trailer.Get("X-Echo-Sum") != "42!" {
		t.Errorf("trailers: body %q, trailer %v", body, resp.Trailer)
	}
	if _, body := roundTrip("GET /agent HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); body != "agent=" {
		t.Errorf("no User-Agent sent, upstream saw %q", body)
	}
	if _, body := roundTrip("GET /agent HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8\r\n\r\n", "GET"); body != "agent=curl/8" {
		t.Errorf("User-Agent curl/8 sent, upstream saw %q", body)
	}

	// HTTP/1.0 has no chunks: the body ends with the connection.
	c10 := dialRaw(t, addr)
	io.WriteString(c10, "GET /chunked HTTP/1.0\r\nHost: x\r\n\r\n")
	raw, err := io.ReadAll(c10)
	if err != nil {
		t.Fatal(err)
	}
	head, body10, _ := strings.Cut(string(raw), "\r\n\r\n")
	if strings.Contains(strings.ToLower(head), "transfer-encoding") || body10 != "part one, part two" {
		t.Errorf("HTTP/1.0 client got\n%s\n\n%q", head, body10)
	}
}

// TestHTTP_CloseDelimited: an upstream whose body ends with its
// connection (no length, no chunks) reaches an HTTP/1.1 client in chunks,
// and the client's connection stays open for the next request.
func TestHTTP_CloseDelimited(t *testing.T) {
	fdtest.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the close")
			}()
		}
	}()
	addr := startProxy(t, config{upstreams: []string{ln.Addr().String()}})
	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	for i := range 2 {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || string(body) != "until the close" || resp.Close {
			t.Fatalf("request %d: %q, %v, close %v", i, body, err, resp.Close)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for status, want := range map[string]int{"200 OK": 200, "404 Not Found": 404, "599 ": 599, "200": -1, "20x OK": -1, "2000 OK": -1, "": -1} {
		if got := statusOf(status); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", status, got, want)
		}
	}
}
