//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// childEnv makes the test binary run the proxy command itself.
const childEnv = "WEFT_PROXY_TEST_CHILD"

// TestSIGTERM runs the proxy as a process of its own and sends it a real
// SIGTERM during a slow request: the request finishes, the proxy exits 0,
// and a new connection is refused.
func TestSIGTERM(t *testing.T) {
	fdtest.Check(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
		io.WriteString(w, "slow but whole")
	}))
	defer up.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-listen", "127.0.0.1:0", "-upstream", up.Listener.Addr().String(), "-drain", "5s")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var addr string
	for sc.Scan() {
		if m := regexp.MustCompile(`^listening on (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if addr == "" {
		t.Fatal("the proxy did not say where it listens")
	}
	cl := client(t)
	res := getAsync(cl, "http://"+addr+"/")
	time.Sleep(200 * time.Millisecond) // the request is at the upstream
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil || r.body != "slow but whole" {
		t.Fatalf("the request in flight at SIGTERM: %q, %v", r.body, r.err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the proxy exited with %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not exit after SIGTERM")
	}
}
