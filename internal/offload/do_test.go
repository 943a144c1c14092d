package offload_test

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

var (
	startLoop = looptest.Start
	on        = looptest.On
)

// goid returns the calling goroutine's id, from its stack header
// ("goroutine 18 [running]:"). Slow, and for tests only.
func goid() string {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	return s[:strings.IndexByte(s, ' ')]
}

func TestDoRunsThenOnTheLoop(t *testing.T) {
	l := startLoop(t)
	p := offload.New(4)
	defer closePool(t, p)

	// Loop state, with no lock: loop tasks posted from another goroutine
	// and Do's callbacks both change it. If a then ran anywhere but on the
	// loop, the race detector would see two goroutines write count.
	var count int
	var loopID string
	on(t, l, func() { loopID = goid() })
	before := l.Stats().Posted

	const calls, posts = 200, 1000
	allDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range posts {
			if err := l.Post(func() { count++ }); err != nil {
				t.Error(err)
				return
			}
		}
	})
	on(t, l, func() {
		pending := calls
		for range calls {
			var workID string
			err := offload.Do(p, l, func() { workID = goid() }, func(err error) {
				if err != nil {
					t.Errorf("then: %v", err)
				}
				if id := goid(); id != loopID || workID == loopID {
					t.Errorf("work ran on goroutine %s, then on %s; the loop is %s", workID, id, loopID)
				}
				count++
				if pending--; pending == 0 {
					close(allDone)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	<-allDone
	wg.Wait()
	var got int
	on(t, l, func() { got = count })
	if got != calls+posts {
		t.Fatalf("count %d, want %d", got, calls+posts)
	}
	// Stats are published at the end of each turn: one more task makes sure
	// the turn that ran the last of ours has published.
	on(t, l, func() {})
	if grew := l.Stats().Posted - before; grew < calls+posts {
		t.Fatalf("loop's Posted grew by %d, want at least %d", grew, calls+posts)
	}
}

func explodeInWork() { panic(errBoom) }

func TestDoTurnsAPanicIntoAnError(t *testing.T) {
	l := startLoop(t)
	p := offload.New(1)
	got := make(chan error, 1)
	var loopID, thenID string
	on(t, l, func() {
		loopID = goid()
		offload.Do(p, l, explodeInWork, func(err error) { thenID = goid(); got <- err })
	})
	err := <-got
	if thenID != loopID {
		t.Errorf("then ran on goroutine %s, not on the loop (%s)", thenID, loopID)
	}
	var rec *panics.ErrRecovered
	if !errors.As(err, &rec) || !errors.Is(err, errBoom) {
		t.Fatalf("then got %v, want *panics.ErrRecovered wrapping errBoom", err)
	}
	if !strings.Contains(string(rec.Stack), "offload_test.explodeInWork") {
		t.Fatalf("stack does not name the panicking function:\n%s", rec.Stack)
	}
	// The panic went to then, not to the pool's policy.
	closePool(t, p)
	if s := p.Stats(); s.Panics != 1 || s.Workers != 0 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestDoGoexitBecomesAnError(t *testing.T) {
	l := startLoop(t)
	p := offload.New(1)
	got := make(chan error, 1)
	on(t, l, func() {
		offload.Do(p, l, runtime.Goexit, func(err error) { got <- err })
	})
	if err := <-got; err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("then got %v, want a Goexit error", err)
	}
	closePool(t, p)
}

func TestDoOnAClosedPoolPostsTheError(t *testing.T) {
	l := startLoop(t)
	p := offload.New(1)
	closePool(t, p)
	got := make(chan error, 1)
	var doErr error
	on(t, l, func() {
		doErr = offload.Do(p, l, func() { t.Error("work ran on a closed pool") }, func(err error) { got <- err })
		select {
		case <-got:
			t.Error("then ran inside Do")
		default:
		}
	})
	if doErr != nil {
		t.Fatalf("Do: %v, want nil (then carries the error)", doErr)
	}
	if err := <-got; !errors.Is(err, offload.ErrClosed) {
		t.Fatalf("then got %v, want ErrClosed", err)
	}
}

func TestDoWithBothClosedReturnsTheError(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	p := offload.New(1)
	closePool(t, p)
	err = offload.Do(p, l, func() { t.Error("work ran") }, func(error) { t.Error("then ran") })
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Do: %v, want net.ErrClosed", err)
	}
}

func TestDoDropsThenWhenTheLoopStopsFirst(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	go l.Run()
	p := offload.New(1)
	gate := make(chan struct{})
	if err := offload.Do(p, l, func() { <-gate }, func(error) { t.Error("then ran after the loop closed") }); err != nil {
		t.Fatal(err)
	}
	l.Close()
	close(gate)
	closePool(t, p) // work has finished and its Post was refused
}

func TestDoNilPanics(t *testing.T) {
	defer func() {
		if v := recover(); v != "offload: nil func" {
			t.Fatalf("recovered %v, want offload: nil func", v)
		}
	}()
	offload.Do(offload.New(1), nil, func() {}, nil)
}
