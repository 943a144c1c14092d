//go:build linux || darwin || freebsd || netbsd || openbsd

package poller_test

// The contract suite. It speaks only to the Poller interface, so it runs
// unchanged on every back-end; each behaviour is checked on pipes, on a
// Unix socketpair and on a real TCP connection over 127.0.0.1.

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/netpoll/poller"
)

// patience bounds every wait for an event that must come. It is a failure
// deadline, not a sleep: a passing test never waits for it.
const patience = 10 * time.Second

// fd is a test-owned descriptor that can be closed early; -1 once closed.
type fd struct{ n int }

func (f *fd) close() {
	if f.n >= 0 {
		unix.Close(f.n)
		f.n = -1
	}
}

// pair is two connected descriptors seen from the two roles the suite
// needs. For a pipe both roles share one pipe; for sockets r and out are
// the same socket.
type pair struct {
	r, w    *fd // r is registered for Readable; writes to w reach r
	out, in *fd // out is registered for Writable; in drains what it wrote
}

type kind struct {
	name string
	open func(t testing.TB) pair
}

var kinds = []kind{
	{"pipe", openPipe},
	{"socketpair", openSocketpair},
	{"tcp", openTCP},
}

// eachKind runs f as one subtest per kind of descriptor.
func eachKind(t *testing.T, f func(t *testing.T, k kind)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}

func own(t testing.TB, a, b int) (*fd, *fd) {
	t.Helper()
	fa, fb := &fd{a}, &fd{b}
	for _, f := range []*fd{fa, fb} {
		unix.CloseOnExec(f.n)
		if err := unix.SetNonblock(f.n, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { fa.close(); fb.close() })
	return fa, fb
}

func openPipe(t testing.TB) pair {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	r, w := own(t, p[0], p[1])
	return pair{r: r, w: w, out: w, in: r}
}

func openSocketpair(t testing.TB) pair {
	t.Helper()
	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := own(t, s[0], s[1])
	return pair{r: a, w: b, out: a, in: b}
}

func openTCP(t testing.TB) pair {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	must(err)
	defer unix.Close(l)
	must(unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(unix.Listen(l, 1))
	sa, err := unix.Getsockname(l)
	must(err)
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	must(err)
	// Blocking connect and accept: on loopback the handshake is complete
	// when connect returns, so accept finds the connection queued.
	if err := unix.Connect(c, sa); err != nil {
		unix.Close(c)
		t.Fatal(err)
	}
	s, _, err := unix.Accept(l)
	if err != nil {
		unix.Close(c)
		t.Fatal(err)
	}
	a, b := own(t, s, c)
	return pair{r: a, w: b, out: a, in: b}
}

func newPoller(t testing.TB) poller.Poller {
	t.Helper()
	p, err := poller.New()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(hintEnv) == "1" {
		// The pass in which a parked poller blocks its thread instead
		// (poller.Blocker; TestMain).
		if b, ok := p.(poller.Blocker); ok {
			b.BlockHint(true)
		}
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// recorder is a Handler that keeps what it was given. The loop goroutine
// is the test goroutine, so it needs no lock.
type recorder struct{ got []poller.Events }

func (r *recorder) Ready(ev poller.Events) { r.got = append(r.got, ev) }

// seen is the union of everything recorded.
func (r *recorder) seen() poller.Events {
	var all poller.Events
	for _, ev := range r.got {
		all |= ev
	}
	return all
}

// waitFor calls Wait until done holds, failing after patience.
func waitFor(t *testing.T, p poller.Poller, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !done() {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %s within %v", what, patience)
		}
		if _, err := p.Wait(left, nil); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
}

// waitNone checks that a non-blocking Wait dispatches nothing.
func waitNone(t *testing.T, p poller.Poller, why string) {
	t.Helper()
	n, err := p.Wait(0, nil)
	if err != nil || n != 0 {
		t.Fatalf("Wait(0) %s = %d, %v; want 0, nil", why, n, err)
	}
}

func add(t *testing.T, p poller.Poller, f *fd, ev poller.Events, h poller.Handler) {
	t.Helper()
	if err := p.Add(f.n, ev, h); err != nil {
		t.Fatalf("Add(%d, %v): %v", f.n, ev, err)
	}
}

func write(t *testing.T, f *fd, s string) {
	t.Helper()
	if n, err := unix.Write(f.n, []byte(s)); err != nil || n != len(s) {
		t.Fatalf("write(%d) = %d, %v", f.n, n, err)
	}
}

// drain reads f until EAGAIN and returns how many bytes it read.
func drain(t *testing.T, f *fd) int {
	t.Helper()
	var buf [64 << 10]byte
	total := 0
	for {
		n, err := unix.Read(f.n, buf[:])
		switch {
		case err == unix.EAGAIN:
			return total
		case err == unix.EINTR:
		case err != nil:
			t.Fatalf("read(%d): %v", f.n, err)
		case n == 0:
			return total
		}
		total += max(n, 0)
	}
}

// fill writes f until EAGAIN.
func fill(t *testing.T, f *fd) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		_, err := unix.Write(f.n, buf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil && err != unix.EINTR {
			t.Fatalf("write(%d): %v", f.n, err)
		}
	}
}

func TestPoller_Readable(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p, pr, rec := newPoller(t), k.open(t), &recorder{}
		add(t, p, pr.r, poller.Readable, rec)
		waitNone(t, p, "before any data")
		write(t, pr.w, "x")
		waitFor(t, p, "Readable", func() bool { return len(rec.got) > 0 })
		if got := rec.seen(); got != poller.Readable {
			t.Fatalf("events = %v, want Readable", got)
		}
	})
}

func TestPoller_Writable(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p, pr, rec := newPoller(t), k.open(t), &recorder{}
		// A fresh descriptor with room in its buffer is writable at once.
		add(t, p, pr.out, poller.Writable, rec)
		waitFor(t, p, "Writable", func() bool { return len(rec.got) > 0 })
		if got := rec.seen(); got != poller.Writable {
			t.Fatalf("events = %v, want Writable", got)
		}
	})
}

func TestPoller_HangUp(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p, pr, rec := newPoller(t), k.open(t), &recorder{}
		add(t, p, pr.r, poller.Readable, rec)
		pr.w.close()
		waitFor(t, p, "HangUp", func() bool { return rec.seen()&poller.HangUp != 0 })
	})
}

// TestPoller_EdgeTriggeredRead walks the read side of the edge-triggered
// contract: one event per change, none for a state that merely persists.
func TestPoller_EdgeTriggeredRead(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p, pr, rec := newPoller(t), k.open(t), &recorder{}
		add(t, p, pr.r, poller.Readable, rec)

		write(t, pr.w, "a")
		waitFor(t, p, "first Readable", func() bool { return len(rec.got) == 1 })
		waitNone(t, p, "with data unread but nothing new")

		write(t, pr.w, "b")
		waitFor(t, p, "Readable for new data", func() bool { return len(rec.got) == 2 })

		if n := drain(t, pr.r); n != 2 {
			t.Fatalf("drained %d bytes, want 2", n)
		}
		waitNone(t, p, "after draining to EAGAIN")

		write(t, pr.w, "c")
		waitFor(t, p, "Readable after drain", func() bool { return len(rec.got) == 3 })
		for i, ev := range rec.got {
			if ev&poller.Readable == 0 {
				t.Errorf("event %d = %v, want Readable", i, ev)
			}
		}
	})
}

// TestPoller_EdgeTriggeredWrite fills the buffer to EAGAIN and expects a
// new Writable edge once the peer makes room.
func TestPoller_EdgeTriggeredWrite(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p, pr, rec := newPoller(t), k.open(t), &recorder{}
		add(t, p, pr.out, poller.Writable, rec)
		waitFor(t, p, "first Writable", func() bool { return len(rec.got) == 1 })
		waitNone(t, p, "while still writable but nothing changed")

		fill(t, pr.out)
		// TCP frees send-buffer space only as the peer acknowledges, so
		// keep draining until the edge shows up.
		deadline := time.Now().Add(patience)
		for len(rec.got) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("no Writable edge within %v of draining the peer", patience)
			}
			drain(t, pr.in)
			if _, err := p.Wait(time.Millisecond, nil); err != nil {
				t.Fatal(err)
			}
		}
		if rec.got[1]&poller.Writable == 0 {
			t.Fatalf("second event = %v, want Writable", rec.got[1])
		}
	})
}

func TestPoller_BothDirections(t *testing.T) {
	p, pr, rec := newPoller(t), openSocketpair(t), &recorder{}
	add(t, p, pr.r, poller.Readable|poller.Writable, rec)
	write(t, pr.w, "x")
	// kqueue reports the two filters as two events, epoll as one.
	waitFor(t, p, "Readable and Writable", func() bool {
		return rec.seen()&(poller.Readable|poller.Writable) == poller.Readable|poller.Writable
	})
}

// TestPoller_Dispatch checks that dispatch, when given, receives the
// registered handler instead of Ready being called.
func TestPoller_Dispatch(t *testing.T) {
	p, pr, rec := newPoller(t), openPipe(t), &recorder{}
	add(t, p, pr.r, poller.Readable, rec)
	write(t, pr.w, "x")
	var got []poller.Handler
	n, err := p.Wait(patience, func(h poller.Handler, ev poller.Events) {
		if ev != poller.Readable {
			t.Errorf("ev = %v, want Readable", ev)
		}
		got = append(got, h)
	})
	if err != nil || n != 1 || len(got) != 1 || got[0] != poller.Handler(rec) {
		t.Fatalf("Wait = %d, %v with handlers %v; want 1 call with the registered handler", n, err, got)
	}
	if len(rec.got) != 0 {
		t.Fatal("Ready called although dispatch was given")
	}
}

func TestPoller_Timeout(t *testing.T) {
	p, pr := newPoller(t), openPipe(t)
	add(t, p, pr.r, poller.Readable, &recorder{})
	for _, d := range []time.Duration{0, 50 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		n, err := p.Wait(d, nil)
		took := time.Since(start)
		if err != nil || n != 0 {
			t.Fatalf("Wait(%v) = %d, %v; want 0, nil", d, n, err)
		}
		// Only a lower bound: an upper bound would flake on a busy machine.
		if took < d {
			t.Fatalf("Wait(%v) returned after %v", d, took)
		}
	}
}

// TestPoller_WakeEndsWait wakes a Wait(-1) from another goroutine. The
// Wake may land before the loop enters the kernel or while it is blocked
// there; both must end the Wait, so the loop runs enough rounds for both.
func TestPoller_WakeEndsWait(t *testing.T) {
	p := newPoller(t)
	for range 200 {
		go func() {
			if err := p.Wake(); err != nil {
				t.Error(err)
			}
		}()
		if n, err := p.Wait(-1, nil); err != nil || n != 0 {
			t.Fatalf("Wait(-1) = %d, %v; want 0, nil (a wake is not an event)", n, err)
		}
	}
}

// TestPoller_WakeCoalesced: a burst of Wakes from many goroutines before
// the loop looks costs one write, and the next burst after one more.
func TestPoller_WakeCoalesced(t *testing.T) {
	p := newPoller(t)
	burst := func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 10_000 / 8 {
					if err := p.Wake(); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	burst()
	if got := poller.WakeWrites(p); got != 1 {
		t.Fatalf("10,000 Wakes cost %d writes, want 1", got)
	}
	if n, err := p.Wait(-1, nil); err != nil || n != 0 {
		t.Fatalf("Wait(-1) = %d, %v; want 0, nil", n, err)
	}
	waitNone(t, p, "after the wake-up was consumed")
	burst()
	if got := poller.WakeWrites(p); got != 2 {
		t.Fatalf("second burst: %d writes in total, want 2", got)
	}
	if _, err := p.Wait(-1, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPoller_FdReuse closes and reuses a descriptor number while an event
// for its old file is already fetched: that stale event must not reach the
// handler of the new file.
func TestPoller_FdReuse(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		p := newPoller(t)
		x, y := k.open(t), k.open(t)
		write(t, x.w, "x")
		write(t, y.w, "y")

		fresh := &recorder{}
		swapped, oldCalls := false, 0
		// Whichever of x and y is dispatched first replaces the other.
		reuse := func(victim pair) poller.Handler {
			return poller.HandlerFunc(func(poller.Events) {
				oldCalls++
				if swapped {
					return
				}
				swapped = true
				if err := p.Remove(victim.r.n); err != nil {
					t.Fatal(err)
				}
				// dup2 closes the old file and installs a new one under
				// the same number in one step, so no other goroutine can
				// grab the number in between.
				repl := k.open(t)
				write(t, repl.w, "new")
				if err := unix.Dup2(repl.r.n, victim.r.n); err != nil {
					t.Fatal(err)
				}
				add(t, p, victim.r, poller.Readable, fresh)
			})
		}
		add(t, p, x.r, poller.Readable, reuse(y))
		add(t, p, y.r, poller.Readable, reuse(x))

		n, err := p.Wait(patience, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !swapped {
			t.Fatal("no event dispatched")
		}
		if n != 1 || oldCalls != 1 || len(fresh.got) != 0 {
			t.Fatalf("Wait dispatched %d (old handlers %d, new handler %v); want 1, 1, none: a stale event leaked",
				n, oldCalls, fresh.got)
		}
		// The new file is readable in its own right: its event comes next.
		waitFor(t, p, "Readable for the new file", func() bool { return len(fresh.got) > 0 })
		if oldCalls != 1 {
			t.Fatalf("old handler called again (%d calls)", oldCalls)
		}
	})
}

// TestPoller_RemoveDropsFetched removes an fd whose event is already
// fetched; it must not be dispatched.
func TestPoller_RemoveDropsFetched(t *testing.T) {
	p, x, y := newPoller(t), openPipe(t), openPipe(t)
	write(t, x.w, "x")
	write(t, y.w, "y")
	calls := 0
	remover := func(other *fd) poller.Handler {
		return poller.HandlerFunc(func(poller.Events) {
			calls++
			if err := p.Remove(other.n); err != nil {
				t.Error(err)
			}
		})
	}
	add(t, p, x.r, poller.Readable, remover(y.r))
	add(t, p, y.r, poller.Readable, remover(x.r))
	if n, err := p.Wait(patience, nil); err != nil || n != 1 || calls != 1 {
		t.Fatalf("Wait = %d, %v with %d calls; want 1, nil, 1", n, err, calls)
	}
}

// TestPoller_ManyReady has more ready fds than one Wait fetches; the rest
// must come on the next Waits, each exactly once.
func TestPoller_ManyReady(t *testing.T) {
	p := newPoller(t)
	const fds = poller.BatchSize*2 + 17
	counts := make([]int, fds)
	for i := range fds {
		pr := openSocketpair(t)
		add(t, p, pr.r, poller.Readable, poller.HandlerFunc(func(poller.Events) { counts[i]++ }))
		write(t, pr.w, "x")
	}
	total := 0
	for total < fds {
		n, err := p.Wait(patience, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || n > poller.BatchSize {
			t.Fatalf("Wait dispatched %d events with %d ready", n, fds-total)
		}
		total += n
	}
	waitNone(t, p, "after every fd was reported")
	for i, c := range counts {
		if c != 1 {
			t.Fatalf("fd #%d dispatched %d times, want 1", i, c)
		}
	}
}

func TestPoller_AddErrors(t *testing.T) {
	p, pr := newPoller(t), openPipe(t)
	add(t, p, pr.r, poller.Readable, &recorder{})
	if err := p.Add(pr.r.n, poller.Readable, &recorder{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Add = %v, want an error matching fs.ErrExist", err)
	}
	if err := p.Add(pr.w.n, poller.HangUp, &recorder{}); err == nil {
		t.Error("Add without Readable or Writable succeeded")
	}
	if err := p.Add(-1, poller.Readable, &recorder{}); err == nil {
		t.Error("Add(-1) succeeded")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Add with a nil Handler did not panic")
			}
		}()
		p.Add(pr.w.n, poller.Writable, nil)
	}()
	// A failed Add leaves the fd unregistered.
	if err := p.Remove(pr.w.n); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove after failed Adds = %v, want fs.ErrNotExist", err)
	}
}

func TestPoller_RemoveErrors(t *testing.T) {
	p, pr := newPoller(t), openPipe(t)
	if err := p.Remove(pr.r.n); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of an unknown fd = %v, want fs.ErrNotExist", err)
	}
	if err := p.Remove(-1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(-1) = %v, want fs.ErrNotExist", err)
	}
	add(t, p, pr.r, poller.Readable, &recorder{})
	if err := p.Remove(pr.r.n); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(pr.r.n); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second Remove = %v, want fs.ErrNotExist", err)
	}
	// Removed for good: data no longer produces events, and the fd can
	// be added again.
	write(t, pr.w, "x")
	waitNone(t, p, "for a removed fd")
	rec := &recorder{}
	add(t, p, pr.r, poller.Readable, rec)
	waitFor(t, p, "Readable after re-Add", func() bool { return len(rec.got) > 0 })
}

func TestPoller_WaitInsideDispatchPanics(t *testing.T) {
	p, pr := newPoller(t), openPipe(t)
	add(t, p, pr.r, poller.Readable, &recorder{})
	write(t, pr.w, "x")
	var r any
	n, err := p.Wait(patience, func(poller.Handler, poller.Events) {
		defer func() { r = recover() }()
		p.Wait(0, nil)
	})
	if err != nil || n != 1 || r == nil {
		t.Fatalf("Wait = %d, %v, nested Wait recovered %v; want 1, nil and a panic", n, err, r)
	}
	waitNone(t, p, "after the nested call") // and Wait works again
}

func TestPoller_UseAfterClose(t *testing.T) {
	p, pr := newPoller(t), openPipe(t)
	add(t, p, pr.r, poller.Readable, &recorder{})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_, errWait := p.Wait(0, nil)
	for name, err := range map[string]error{
		"Add":    p.Add(pr.w.n, poller.Writable, &recorder{}),
		"Remove": p.Remove(pr.r.n),
		"Wait":   errWait,
		"Wake":   p.Wake(),
		"Close":  p.Close(),
	} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error matching os.ErrClosed", name, err)
		}
	}
	// The registered fd is the caller's: Close must not have closed it.
	write(t, pr.w, "still open")
	if n := drain(t, pr.r); n == 0 {
		t.Error("registered fd unusable after Close")
	}
}

// TestPoller_WakeDuringClose races Wakes from other goroutines against
// Close; under -race this checks that Wake never touches a released fd.
func TestPoller_WakeDuringClose(t *testing.T) {
	p := newPoller(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			<-start
			for {
				err := p.Wake()
				if errors.Is(err, os.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				// Consumed by nobody: only the first Wake writes, the rest
				// take the lock-free path, which must see Close too.
			}
		})
	}
	close(start)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
