//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/examples/crawler/demosite"
	"github.com/weftio/weft/internal/fdtest"
)

// stopAfter wraps h so that the n-th request cancels the stop context it
// is given, as a SIGINT would.
type stopAfter struct {
	h      http.Handler
	n      atomic.Int64
	at     atomic.Int64
	cancel atomic.Pointer[context.CancelFunc]
}

func (s *stopAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := s.n.Add(1); n == s.at.Load() {
		if c := s.cancel.Load(); c != nil {
			(*c)()
		}
	}
	s.h.ServeHTTP(w, r)
}

// arm makes the request n requests from now cancel the returned context;
// kill, if set, is cancelled with it.
func (s *stopAfter) arm(n int64, kill context.CancelFunc) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	var both context.CancelFunc = func() {
		cancel()
		if kill != nil {
			kill()
		}
	}
	s.cancel.Store(&both)
	s.at.Store(s.n.Load() + n)
	return ctx
}

// TestResume interrupts a crawl again and again (as SIGINT does: the
// requests in flight finish) and restarts it with the same -state and
// -out each time: in the end the server has seen every URL of the
// uninterrupted crawl exactly once, and the records, gathered across the
// runs, name each URL once.
func TestResume(t *testing.T) {
	fdtest.Check(t)
	o := demosite.Options{Pages: 150, Seed: 4, Latency: time.Millisecond}
	h := &stopAfter{h: demosite.Handler(o)}
	s := serve(t, h, nil)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := []string{"-depth", "4", "-state", state, "-out", out, "-concurrency", "6", "-per-host", "6", "-checkpoint", "0", s.url()}
	runs := 0
	for {
		runs++
		stop := h.arm(25, nil)
		_, st, err := crawlCtx(t, stop, context.Background(), args...)
		if err == nil {
			break
		}
		if !errors.Is(err, errInterrupted) || !st.Interrupted {
			t.Fatalf("run %d: %v", runs, err)
		}
		if st.Left == 0 {
			t.Fatalf("run %d: interrupted with nothing left", runs)
		}
		if runs > 100 {
			t.Fatal("the crawl does not end")
		}
		// The seed need not be given again.
		args = slices.DeleteFunc(args, func(a string) bool { return a == s.url() })
	}
	t.Logf("%d runs", runs)
	if runs < 4 {
		t.Errorf("%d runs: the test interrupted too few", runs)
	}
	got, twice := s.paths()
	if want := demosite.URLs(o, 4); !slices.Equal(got, want) || len(twice) > 0 {
		t.Errorf("after %d runs: fetched %d paths, want %d\nmissing: %v\nextra: %v\ntwice: %v",
			runs, len(got), len(want), minus(want, got), minus(got, want), twice)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	recs := decode(t, b)
	byURL(t, recs) // each URL once
	// The same records as one uninterrupted crawl.
	fresh := serve(t, demosite.Handler(o), nil)
	all, _ := crawl(t, "-depth", "4", fresh.url())
	if len(all) != len(recs) {
		t.Errorf("%d records over %d runs, %d in one", len(recs), runs, len(all))
	}
	// Running it once more fetches nothing.
	before, _ := s.paths()
	h.arm(1<<40, nil)
	crawlCtx(t, context.Background(), context.Background(), args...)
	if after, twice := s.paths(); !slices.Equal(before, after) || len(twice) > 0 {
		t.Error("a finished crawl, resumed, fetched again")
	}
}

// TestKillResume interrupts crawls as a second SIGINT does, cancelling
// the requests in flight: they are queued again, so after the restarts
// nothing is missed and each URL has one record, though a request
// cancelled half-way may have reached the server before.
func TestKillResume(t *testing.T) {
	fdtest.Check(t)
	o := demosite.Options{Pages: 100, Seed: 8, Latency: 2 * time.Millisecond}
	h := &stopAfter{h: demosite.Handler(o)}
	s := serve(t, h, nil)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := []string{"-depth", "100", "-state", state, "-out", out, "-concurrency", "8", "-per-host", "8", s.url()}
	runs := 1
	for ; ; runs++ {
		kill, killNow := context.WithCancel(context.Background())
		stop := h.arm(30, killNow)
		_, _, err := crawlCtx(t, stop, kill, args...)
		killNow()
		if err == nil {
			break
		}
		if !errors.Is(err, errInterrupted) || runs > 100 {
			t.Fatalf("run %d: %v", runs, err)
		}
	}
	got, twice := s.paths()
	if want := demosite.URLs(o, 100); !slices.Equal(got, want) {
		t.Errorf("fetched %d paths, want %d\nmissing: %v", len(got), len(want), minus(want, got))
	}
	t.Logf("%d paths of %d fetched twice", len(twice), len(got))
	if len(twice) > 8*runs {
		t.Errorf("%d paths fetched twice", len(twice))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m := byURL(t, decode(t, b))
	for u, r := range m {
		if r.Error != "" && r.Error != "redirect loop" && r.Error != "redirect out of scope" &&
			r.Error != "redirect to a URL robots.txt disallows" {
			t.Errorf("%s: %s", u, r.Error)
		}
	}
}

// TestStateErrors: a checkpoint that is not one, or of another version,
// is refused with a message naming it.
func TestStateErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage.json": "{not json", "version.json": `{"version": 99}`,
		"refs.json": `{"version": 1, "urls": [{"u": "http://h/", "d": 0, "s": 2, "n": 7}]}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o644)
		c, err := parse([]string{"-state", path, "http://127.0.0.1:1/"}, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = run(context.Background(), context.Background(), c, new(discard), new(discard))
		if err == nil || !strings.Contains(err.Error(), "-state") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type discard struct{}

func (*discard) Write(b []byte) (int, error) { return len(b), nil }
