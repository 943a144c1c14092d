//go:build !weft_nodebug

package future_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// here returns "file.go:N " for the line after the one that called it:
// where the next statement makes a future, as Site shows it.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("/%s:%d ", file[strings.LastIndexByte(file, '/')+1:], line+1)
}

// TestSite_RecordedInDebugMode: every way of making a pending future
// records where it was made, the caller's line rather than weft's, and
// Site reads it from any goroutine.
func TestSite_RecordedInDebugMode(t *testing.T) {
	l := looptest.Start(t, loop.WithDebug())
	type made struct {
		name, at string
		site     func() string
	}
	var all []made
	add := func(name, at string, site func() string) { all = append(all, made{name, at, site}) }
	looptest.On(t, l, func() {
		at := here()
		f, p := future.New[int](l)
		add("New", at, f.Site)
		at = here()
		g := future.Then(f, func(v int) (string, error) { return fmt.Sprint(v), nil })
		add("Then", at, g.Site)
		at = here()
		h := f.Then(nil, nil)
		add("Future.Then", at, h.Site)
		r := future.Resolved(l, 1)
		add("Resolved", "", r.Site) // settled at birth: nothing to record
		e := future.Rejected[int](l, errors.New("x"))
		add("Rejected", "", e.Site)
		e.React(nopJob{}) // observed: not an unhandled rejection
		at = here()
		a := future.All(l, []*future.Future[int]{f, r})
		add("All", at, a.Site)
		p.Resolve(1)
	})
	for _, m := range all {
		s := m.site()
		if m.at == "" {
			if s != "" {
				t.Errorf("%s: Site() = %q, want none", m.name, s)
			}
			continue
		}
		if !strings.Contains(s, m.at) || !strings.Contains(s, "future_test.TestSite_RecordedInDebugMode") {
			t.Errorf("%s: Site() = %q, want it at %s", m.name, s, m.at)
		}
	}
}

func TestSite_EmptyWithoutDebugMode(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	g := future.Map(f, func(v int) int { return v })
	// WEFT_DEBUG=1 in the environment puts every loop in debug mode.
	if debug := os.Getenv("WEFT_DEBUG") == "1"; (f.Site() != "") != debug || (g.Site() != "") != debug {
		t.Errorf("Site() = %q, %q; want them known only in debug mode (WEFT_DEBUG=1: %v)", f.Site(), g.Site(), debug)
	}
	p.Resolve(1)
	bbValue(t, g)
}

type nopJob struct{}

func (nopJob) Run() {}
