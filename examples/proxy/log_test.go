//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// TestAccessLog: one line per request, refused ones included, with the
// status, method, URI and upstream.
func TestAccessLog(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	defer up.Close()
	logFile := filepath.Join(t.TempDir(), "access.log")
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}, accessLog: logFile})
	cl := client(t)
	resp, err := cl.Get("http://" + addr + "/logged?q=1")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, smuggling["CL and TE"])
	io.Copy(io.Discard, c)
	c.Close()
	var lines []string
	for i := 0; i < 100 && len(lines) < 2; i++ {
		b, _ := os.ReadFile(logFile)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != 2 {
		t.Fatalf("access log has %d lines, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// The two connections' lines may come in either order.
	ok, refused := lines[0], lines[1]
	if strings.Contains(ok, "status=400") {
		ok, refused = refused, ok
	}
	for _, want := range []string{"status=200", "method=GET", "uri=\"/logged?q=1\"", "upstream=" + up.Listener.Addr().String()} {
		if !strings.Contains(ok, want) {
			t.Errorf("line %q lacks %s", ok, want)
		}
	}
	if !strings.Contains(refused, "status=400") {
		t.Errorf("the refused request's line %q lacks status=400", refused)
	}
}
