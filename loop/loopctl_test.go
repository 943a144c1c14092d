//go:build unix

package loop_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// TestPrePoll: a pre-poll hook runs once per turn, after the ready phase
// (the posted task ran before it; the task that one scheduled runs next
// turn), and the microtasks it queues run before the poll.
func TestPrePoll(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var log []string
	turns := 0
	l.Post(func() {
		log = append(log, "post")
		loopctl.AddPrePoll(l, func() {
			turns++
			log = append(log, "prepoll")
			l.Microtask(func() { log = append(log, "micro") })
			if turns == 2 {
				l.Stop()
			}
		})
		l.Schedule(func() { log = append(log, "task") })
	})
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{"post", "prepoll", "micro", "task", "prepoll", "micro"}
	if len(log) < len(want) {
		t.Fatalf("log %v, want it to start %v", log, want)
	}
	for i, w := range want {
		if log[i] != w {
			t.Fatalf("log %v, want it to start %v", log, want)
		}
	}
}

type nopHandler struct{}

func (nopHandler) Ready(poller.Events) {}

// TestQuiet: a quiet fd does not keep the stuck hook from firing, and an
// ordinary one does.
func TestQuiet(t *testing.T) {
	for _, quiet := range []bool{true, false} {
		l, err := loop.New()
		if err != nil {
			t.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		stuck := make(chan struct{})
		l.Post(func() {
			if err := l.Register(int(r.Fd()), poller.Readable, nopHandler{}); err != nil {
				t.Error(err)
			}
			if quiet {
				loopctl.Quiet(l, 1)
			}
			loopctl.SetStuckHook(l, func() bool {
				close(stuck)
				l.Stop()
				return true
			})
		})
		go l.Run()
		select {
		case <-stuck:
			if !quiet {
				t.Error("the loop called itself stuck with an ordinary fd registered")
			}
		case <-time.After(200 * time.Millisecond):
			if quiet {
				t.Error("a loop with only a quiet fd was not found stuck")
			}
			l.Stop()
		}
		l.Close()
		r.Close()
		w.Close()
	}
}

// hintPoller is a real poller that records the BlockHints it is given.
type hintPoller struct {
	poller.Poller
	hints []bool
}

func (p *hintPoller) BlockHint(on bool) { p.hints = append(p.hints, on) }

// TestBlockHint: the loop tells a poller.Blocker when its first reason to
// block comes and when its last one goes, not for the ones in between.
func TestBlockHint(t *testing.T) {
	inner, err := poller.New()
	if err != nil {
		t.Fatal(err)
	}
	p := &hintPoller{Poller: inner}
	l, err := loop.New(loop.WithPoller(p))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Post(func() {
		loopctl.BlockHint(l, 1)
		loopctl.BlockHint(l, 1)
		loopctl.BlockHint(l, -1)
		loopctl.BlockHint(l, -1)
		loopctl.BlockHint(l, 1)
		l.Stop()
	})
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true}; !slices.Equal(p.hints, want) {
		t.Fatalf("hints %v, want %v", p.hints, want)
	}
}
