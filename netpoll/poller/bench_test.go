//go:build linux || darwin || freebsd || netbsd || openbsd

package poller_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/netpoll/poller"
)

// BenchmarkPoller_Wake measures a wake-up round trip: the loop hands a token
// to another goroutine and blocks; that goroutine wakes it. The baseline
// does the same with a channel instead of Wake + Wait(-1).
func BenchmarkPoller_Wake(b *testing.B) {
	// roundTrip runs the loop side; waker is what the other goroutine does
	// each time it receives the token.
	roundTrip := func(b *testing.B, waker func(), block func()) {
		token, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for range token {
				waker()
			}
		}()
		for b.Loop() {
			token <- struct{}{}
			block()
		}
		close(token)
		<-done
	}

	b.Run("chan", func(b *testing.B) {
		wake := make(chan struct{})
		roundTrip(b, func() { wake <- struct{}{} }, func() { <-wake })
	})
	b.Run("poller", func(b *testing.B) {
		p := newPoller(b)
		roundTrip(b, func() { p.Wake() }, func() { p.Wait(-1, nil) })
	})
	// The token send puts the waker in this P's run-next slot; blocking in
	// the kernel right away can leave it there until the runtime retakes
	// the P. Yielding first lets it run (see DESIGN.md, wake-up latency).
	b.Run("poller-gosched", func(b *testing.B) {
		p := newPoller(b)
		roundTrip(b, func() { p.Wake() }, func() { runtime.Gosched(); p.Wait(-1, nil) })
	})
	// The kernel's share alone: the waker already runs on another core,
	// spinning on a counter, so no goroutine has to be scheduled to send
	// the Wake; what remains is write(2), the wake-up of the thread
	// blocked in epoll and its return to Go.
	b.Run("poller-spinning-waker", func(b *testing.B) {
		if runtime.GOMAXPROCS(0) < 2 {
			b.Skip("the spinning waker needs a second P")
		}
		p := newPoller(b)
		var seq atomic.Int64
		var stop atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			var seen int64
			for !stop.Load() {
				if s := seq.Load(); s != seen {
					seen = s
					p.Wake()
				}
			}
		}()
		for b.Loop() {
			seq.Add(1)
			p.Wait(-1, nil)
		}
		stop.Store(true)
		<-done
	})
}

// BenchmarkPoller_WaitNonblocking measures Wait(0) with nothing ready: the
// cost a busy loop pays to poll once per batch of tasks.
func BenchmarkPoller_WaitNonblocking(b *testing.B) {
	b.Run("select-default", func(b *testing.B) {
		ch := make(chan struct{})
		for b.Loop() {
			select {
			case <-ch:
			default:
			}
		}
	})
	b.Run("poller", func(b *testing.B) {
		p := newPoller(b)
		for range 64 { // idle registrations must not cost anything
			pr := openSocketpair(b)
			if err := p.Add(pr.r.n, poller.Readable, &recorder{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if n, err := p.Wait(0, nil); n != 0 || err != nil {
				b.Fatal(n, err)
			}
		}
	})
}

// BenchmarkPoller_Timeout measures how long a 50µs timeout really takes,
// beside a runtime timer; ns/op is the achieved sleep.
func BenchmarkPoller_Timeout(b *testing.B) {
	const d = 50 * time.Microsecond
	b.Run("timer", func(b *testing.B) {
		t := time.NewTimer(d)
		<-t.C
		for b.Loop() {
			t.Reset(d)
			<-t.C
		}
	})
	b.Run("poller", func(b *testing.B) {
		p := newPoller(b)
		for b.Loop() {
			p.Wait(d, nil)
		}
	})
	if poller.SetMillisecondWait != nil {
		b.Run("poller-epoll_wait", func(b *testing.B) {
			defer poller.SetMillisecondWait(true)()
			p := newPoller(b)
			for b.Loop() {
				p.Wait(d, nil)
			}
		})
	}
}
