//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/examples/crawler/demosite"
	"github.com/weftio/weft/internal/fdtest"
)

// child starts the test binary as the crawler command with args.
func child(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &stderr
}

// exitCode waits for cmd and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("the crawler did not exit")
	}
	return -1
}

// waitRequests waits until s has had at least n requests.
func waitRequests(t *testing.T, s *server, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, arrivals := s.seen(); len(arrivals) >= n {
			return
		}
	}
	t.Fatalf("the crawler made fewer than %d requests", n)
}

// TestSIGINT runs the crawler as a process of its own and sends it a real
// SIGINT mid-crawl: it lets the requests in flight finish, writes its
// checkpoint and summary and exits 130; restarted with the checkpoint,
// it fetches the rest, nothing twice.
func TestSIGINT(t *testing.T) {
	fdtest.Check(t)
	o := demosite.Options{Pages: 120, Seed: 6, Latency: 5 * time.Millisecond}
	s := serve(t, demosite.Handler(o), nil)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	cmd, stderr := child(t, "-depth", "100", "-state", state, "-out", out, "-per-host", "4", s.url())
	waitRequests(t, s, 20)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != exitInterrupted {
		t.Fatalf("exit status %d after SIGINT, want %d; stderr:\n%s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupted with") || !strings.Contains(stderr.String(), "checkpoint in "+state) {
		t.Errorf("no summary of the interrupted crawl on stderr:\n%s", stderr)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.paths(); len(got) >= len(demosite.URLs(o, 100)) {
		t.Fatal("the crawl was over before the signal")
	}
	crawl(t, "-depth", "100", "-state", state, "-out", out)
	got, twice := s.paths()
	if want := demosite.URLs(o, 100); !slices.Equal(got, want) || len(twice) > 0 {
		t.Errorf("fetched %d paths, want %d\nmissing: %v\ntwice: %v", len(got), len(want), minus(want, got), twice)
	}
	b, _ := os.ReadFile(out)
	byURL(t, decode(t, b))
}

// TestSIGKILL kills the crawler outright mid-crawl: the periodic
// checkpoint it last wrote (atomically) is whole, and a crawl restarted
// from it misses nothing. What was fetched after that checkpoint is
// fetched again: that is the price of a crash.
func TestSIGKILL(t *testing.T) {
	fdtest.Check(t)
	o := demosite.Options{Pages: 120, Seed: 7, Latency: 5 * time.Millisecond}
	s := serve(t, demosite.Handler(o), nil)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	cmd, _ := child(t, "-depth", "100", "-state", state, "-out", out, "-per-host", "4", "-checkpoint", "30ms", s.url())
	waitRequests(t, s, 40)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(state); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no periodic checkpoint")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	before, _ := s.paths()
	crawl(t, "-depth", "100", "-state", state, "-out", out)
	got, _ := s.paths()
	if want := demosite.URLs(o, 100); !slices.Equal(got, want) {
		t.Errorf("fetched %d paths, want %d\nmissing: %v", len(got), len(want), minus(want, got))
	}
	if len(before) >= len(got) {
		t.Error("the crawl was over before the kill")
	}
}

// TestBadCommandLine: a bad flag or seed is a one-line message on stderr
// and exit status 2.
func TestBadCommandLine(t *testing.T) {
	for _, args := range [][]string{
		{"-depth", "-1"}, {"-scope", "planet"}, {"-concurrency", "0"}, {"-per-host", "0"}, {"-timeout", "0s"},
		{"-max-body", "0"}, {"-delay", "-1s"}, {"-max-pages", "-3"}, {"-nosuchflag"}, {"-depth", "many"},
		{"ftp://example.com/"}, {"http://"}, {"not a url"}, {"http://[::1"},
	} {
		if _, err := parse(args, false); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
	cmd, stderr := child(t, "-scope", "planet", "http://127.0.0.1:1/")
	if code := exitCode(t, cmd); code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "-scope") {
		t.Errorf("stderr: %q, want one line about -scope", stderr)
	}
	cmd, stderr = child(t, "mailto:x@example.com")
	if code := exitCode(t, cmd); code != exitUsage || !strings.Contains(stderr.String(), "seed") {
		t.Errorf("a bad seed: exit status %d, stderr %q", code, stderr)
	}
}
