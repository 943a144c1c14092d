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

// TestHTTP_Upgrade tunnels an upgraded connection (the WebSocket
// handshake; the frames are opaque bytes to a proxy) through the proxy:
// the upstream switches protocols and echoes, in both directions, until
// the client half-closes.
func TestHTTP_Upgrade(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !hasToken(r.Header["Connection"], "upgrade") {
			http.Error(w, "not an upgrade", http.StatusBadRequest)
			return
		}
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		io.CopyBuffer(struct{ io.Writer }{c}, brw.Reader, make([]byte, 4096)) // echo until EOF
		c.(*net.TCPConn).CloseWrite()
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" {
		t.Fatalf("handshake: %v, %v", resp, err)
	}
	msgs := []string{"ping", strings.Repeat("frame", 10000), "last"}
	for _, m := range msgs {
		io.WriteString(c, m)
		got := make([]byte, len(m))
		if _, err := io.ReadFull(br, got); err != nil || string(got) != m {
			t.Fatalf("echo of %d bytes: %v", len(m), err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the half-close: %q, %v; want EOF", rest, err)
	}
}

// TestHTTP_ExpectContinue: the proxy answers 100 Continue itself, the
// client sends its body, the upstream gets a plain request; an
// unknown expectation gets 417.
func TestHTTP_ExpectContinue(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Header.Get("Expect")+"|"+string(b))
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})
	c := dialRaw(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q, want 100 Continue", line)
	}
	br.ReadString('\n') // the blank line after it
	io.WriteString(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "|hello" {
		t.Fatalf("upstream answered %q, want %q", b, "|hello")
	}
	c2 := dialRaw(t, addr)
	io.WriteString(c2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\nhello")
	if line, _ := bufio.NewReader(c2).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 417 ") {
		t.Fatalf("unknown expectation: %q, want 417", line)
	}
}
