package poller_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/netpoll/poller"
)

// TestPoller_CloseReleasesFds counts this process's descriptors around a
// busy poller's whole life.
func TestPoller_CloseReleasesFds(t *testing.T) {
	pr := openSocketpair(t) // opened first: it is the caller's, not the poller's
	before := fdtest.Count(t)
	for range 10 {
		p, err := poller.New()
		if err != nil {
			t.Fatal(err)
		}
		add(t, p, pr.r, poller.Readable, &recorder{})
		write(t, pr.w, "x")
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(patience, nil); err != nil {
			t.Fatal(err)
		}
		drain(t, pr.r)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := fdtest.Count(t); after != before {
		t.Fatalf("%d fds open before New, %d after Close", before, after)
	}
}

// TestPoller_ErrorOnReset: a TCP reset sets a pending socket error, which
// epoll reports as EPOLLERR. (kqueue reports it as EV_EOF with the error
// in fflags, so this check is epoll's alone.)
func TestPoller_ErrorOnReset(t *testing.T) {
	p, pr, rec := newPoller(t), openTCP(t), &recorder{}
	add(t, p, pr.r, poller.Readable, rec)
	// Linger 0 turns close into an RST instead of a FIN.
	if err := unix.SetsockoptLinger(pr.w.n, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		t.Fatal(err)
	}
	pr.w.close()
	waitFor(t, p, "Error|HangUp", func() bool {
		return rec.seen()&(poller.Error|poller.HangUp) == poller.Error|poller.HangUp
	})
}

// TestPoller_MillisecondFallback forces epoll_wait, as on kernels before
// 5.11: a sub-millisecond timeout must be rounded up, never down to a
// busy-looping 0.
func TestPoller_MillisecondFallback(t *testing.T) {
	defer poller.SetMillisecondWait(true)()
	p := newPoller(t)
	for _, d := range []time.Duration{time.Microsecond, 1500 * time.Microsecond} {
		start := time.Now()
		if n, err := p.Wait(d, nil); err != nil || n != 0 {
			t.Fatalf("Wait(%v) = %d, %v", d, n, err)
		}
		want := (d + time.Millisecond - 1).Truncate(time.Millisecond)
		if took := time.Since(start); took < want {
			t.Fatalf("Wait(%v) with epoll_wait returned after %v, want at least %v", d, took, want)
		}
	}
	// Wakes and events still work on the fallback.
	go p.Wake()
	if _, err := p.Wait(-1, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPoller_ParkModeFollowsEnv: pollers park in Go's netpoller unless
// WEFT_POLLER_PARK=0 (TestMain runs the suite both ways).
func TestPoller_ParkModeFollowsEnv(t *testing.T) {
	p, err := poller.New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := os.Getenv("WEFT_POLLER_PARK") != "0"
	if got := poller.Parked(p); got != want {
		t.Fatalf("parked = %v with WEFT_POLLER_PARK=%q", got, os.Getenv("WEFT_POLLER_PARK"))
	}
}

// TestPoller_NewBlocking: a blocking poller never parks, whatever the
// environment, and a Wake from another goroutine ends a Wait blocked in
// the kernel, as does its timeout.
func TestPoller_NewBlocking(t *testing.T) {
	p, err := poller.NewBlocking()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if poller.Parked(p) {
		t.Fatal("NewBlocking made a parked poller")
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%4) * 500 * time.Microsecond)
			if err := p.Wake(); err != nil {
				t.Error(err)
			}
		}()
		start := time.Now()
		if _, err := p.Wait(-1, func(poller.Handler, poller.Events) {}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Wake took %v to end a blocked Wait", d)
		}
	}
	// A Wait may have ended on an earlier Wake: let the rest land, and
	// take a wake-up still pending, before timing a Wait.
	wg.Wait()
	if _, err := p.Wait(0, func(poller.Handler, poller.Events) {}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := p.Wait(20*time.Millisecond, func(poller.Handler, poller.Events) {}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("a 20ms Wait returned after %v", d)
	}
}

// TestPoller_BlockHintWakes switches a parked poller between parking and
// blocking (BlockHint) from one Wait to the next, with a Wake from another
// goroutine racing each Wait from before it starts to well into it, and
// timed Waits in between: every Wait must end, by the Wake or by its
// timeout, and a timed one not before its deadline.
func TestPoller_BlockHintWakes(t *testing.T) {
	p, err := poller.New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, ok := p.(poller.Blocker)
	if !ok {
		t.Fatalf("%T is not a poller.Blocker", p)
	}
	for i := range 300 {
		b.BlockHint(i%3 != 0)
		delay := time.Duration(i%7) * 50 * time.Microsecond
		done := make(chan struct{})
		go func() {
			time.Sleep(delay)
			p.Wake()
			close(done)
		}()
		start := time.Now()
		if _, err := p.Wait(10*time.Second, nil); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("round %d: Wait took %v to see a Wake", i, took)
		}
		<-done
		if i%10 == 0 {
			// A timed Wait with no Wake: ends at its deadline, not before.
			// What the round above's Wake left (a passed read deadline, a
			// fired timerfd) may end up to two Waits at once: three tries.
			for try := 0; ; try++ {
				start = time.Now()
				if _, err := p.Wait(2*time.Millisecond, nil); err != nil {
					t.Fatal(err)
				}
				if time.Since(start) >= 2*time.Millisecond || try == 2 {
					break
				}
			}
			if took := time.Since(start); took < 2*time.Millisecond {
				t.Fatalf("round %d: a 2 ms Wait returned after %v", i, took)
			}
		}
	}
}
