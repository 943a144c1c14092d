//go:build linux || darwin || freebsd || netbsd || openbsd

package signal_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/signal"
)

// Two streams on one loop and a callback on another loop all get the
// signal; each Event is a delivery of the signal they asked for.
func TestTwoSubscribers(t *testing.T) {
	other := looptest.Start(t)
	got := make(chan signal.Event, 8)
	cb, err := signal.Notify(other, func(ev signal.Event) {
		if !other.OnLoop() {
			t.Error("callback not on its loop")
		}
		got <- ev
	}, unix.SIGUSR1)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Stop()

	run(t, func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		a, err := signal.Subscribe(l, unix.SIGUSR1)
		if err != nil {
			return err
		}
		defer a.Stop()
		b, err := signal.Subscribe(l, unix.SIGUSR2, unix.SIGUSR1)
		if err != nil {
			return err
		}
		defer b.Stop()
		raise(t, unix.SIGUSR1)
		for name, s := range map[string]*signal.Sub{"a": a, "b": b} {
			err := recvTimeout(ctx, func(ctx context.Context) error {
				ev, err := s.Recv(ctx)
				if err == nil && (ev.Signal != unix.SIGUSR1 || ev.Count < 1) {
					err = fmt.Errorf("got %+v, want SIGUSR1 with a count", ev)
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("subscriber %s: %w", name, err)
			}
		}
		return nil
	})
	if ev := <-got; ev.Signal != unix.SIGUSR1 || ev.Count < 1 {
		t.Errorf("callback got %+v, want SIGUSR1 with a count", ev)
	}
}

// SIGINT, SIGTERM, SIGHUP and SIGCHLD, whose default actions end the
// process or are ignored, arrive as events while subscribed.
func TestCommonSignals(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGCHLD} {
		t.Run(sig.String(), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				s, err := signal.Subscribe(fiber.Loop(ctx), sig)
				if err != nil {
					return err
				}
				defer s.Stop()
				if sig == unix.SIGCHLD {
					// A child that exits: the kernel sends SIGCHLD.
					if _, err := fiber.Blocking(ctx, func(context.Context) (struct{}, error) {
						return struct{}{}, exec.Command("true").Run()
					}); err != nil {
						return err
					}
				} else {
					raise(t, sig)
				}
				return recvTimeout(ctx, func(ctx context.Context) error {
					ev, err := s.Recv(ctx)
					if err == nil && ev.Signal != sig {
						err = fmt.Errorf("got %v, want %v", ev.Signal, sig)
					}
					return err
				})
			})
			if signal.Watching(sig) {
				t.Errorf("%v still relayed after its only subscriber stopped", sig)
			}
		})
	}
}

// A burst of signals sent while the loop is busy arrives as fewer events
// than signals, whose counts add up to what was relayed: merged, never
// lost entirely.
func TestBurstCoalesced(t *testing.T) {
	const n = 200
	l := looptest.Start(t)
	var events []signal.Event // loop only
	first := make(chan struct{})
	s, err := signal.Notify(l, func(ev signal.Event) {
		if events = append(events, ev); len(events) == 1 {
			close(first)
		}
	}, unix.SIGUSR1)
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	busy := make(chan struct{})
	if err := l.Post(func() { close(busy); <-gate }); err != nil {
		t.Fatal(err)
	}
	<-busy
	for range n {
		raise(t, unix.SIGUSR1)
	}
	close(gate)
	select {
	case <-first:
	case <-time.After(waitLimit):
		t.Fatalf("no event within %v of a burst of %d signals", waitLimit, n)
	}
	s.Stop()
	looptest.On(t, l, func() {
		total := 0
		for _, ev := range events {
			if ev.Signal != unix.SIGUSR1 || ev.Count < 1 {
				t.Errorf("event %+v: want SIGUSR1 with a count of at least 1", ev)
			}
			total += ev.Count
		}
		t.Logf("%d signals sent, %d relayed, in %d events", n, total, len(events))
		if len(events) == 0 || len(events) >= n/2 {
			t.Errorf("%d events for a burst of %d signals sent while the loop was busy: want at least 1 and far fewer than %d", len(events), n, n)
		}
		if total > n {
			t.Errorf("counts add up to %d, more than the %d signals sent", total, n)
		}
	})
}

// The merging itself, with deliveries counted by hand: any number of
// deliveries while one is on its way to the loop make one callback with
// their count; a stream that nobody receives from keeps one Event per
// signal.
func TestMergedCounts(t *testing.T) {
	l := looptest.Start(t)
	var events []signal.Event
	s, err := signal.Notify(l, func(ev signal.Event) { events = append(events, ev) }, unix.SIGUSR1, unix.SIGUSR2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	gate := make(chan struct{})
	busy := make(chan struct{})
	if err := l.Post(func() { close(busy); <-gate }); err != nil {
		t.Fatal(err)
	}
	<-busy
	for range 1000 {
		signal.Deliver(s, unix.SIGUSR1)
	}
	for range 3 {
		signal.Deliver(s, unix.SIGUSR2)
	}
	close(gate)
	looptest.On(t, l, func() {
		want := []signal.Event{{Signal: unix.SIGUSR1, Count: 1000}, {Signal: unix.SIGUSR2, Count: 3}}
		if fmt.Sprint(events) != fmt.Sprint(want) {
			t.Errorf("events %v, want %v", events, want)
		}
	})

	run(t, func(ctx context.Context) error {
		st, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGUSR1, unix.SIGUSR2)
		if err != nil {
			return err
		}
		defer st.Stop()
		for _, d := range []struct {
			sig unix.Signal
			n   int
		}{{unix.SIGUSR1, 3}, {unix.SIGUSR2, 2}, {unix.SIGUSR1, 4}} {
			signal.Inject(st, d.sig, d.n)
			signal.Flush(st)
		}
		var got []signal.Event
		for range 2 {
			ev, err := st.Recv(ctx)
			if err != nil {
				return err
			}
			got = append(got, ev)
		}
		want := []signal.Event{{Signal: unix.SIGUSR1, Count: 7}, {Signal: unix.SIGUSR2, Count: 2}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("stream gave %v, want %v", got, want)
		}
		return nil
	})
}

// A stopped subscriber gets nothing more: its parked Recv returns
// ErrStopped, its callback is not called, while the others still get the
// signal.
func TestStop(t *testing.T) {
	l := looptest.Start(t)
	stoppedCalls, liveCalls := 0, 0 // loop only
	live := make(chan struct{}, 8)
	cbStopped, err := signal.Notify(l, func(signal.Event) { stoppedCalls++ }, unix.SIGUSR2)
	if err != nil {
		t.Fatal(err)
	}
	cbLive, err := signal.Notify(l, func(signal.Event) { liveCalls++; live <- struct{}{} }, unix.SIGUSR2)
	if err != nil {
		t.Fatal(err)
	}
	defer cbLive.Stop()
	cbStopped.Stop()
	cbStopped.Stop() // a second Stop does nothing

	run(t, func(ctx context.Context) error {
		s, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGUSR2)
		if err != nil {
			return err
		}
		recv := fiber.Go(ctx, func(ctx context.Context) (signal.Event, error) { return s.Recv(ctx) })
		if err := fiber.Yield(ctx); err != nil { // recv parks
			return err
		}
		s.Stop()
		if _, err := fiber.Await(ctx, recv); !errors.Is(err, signal.ErrStopped) || !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("parked Recv after Stop: %v, want ErrStopped (net.ErrClosed)", err)
		}
		if _, err := s.Recv(ctx); !errors.Is(err, signal.ErrStopped) {
			return fmt.Errorf("Recv after Stop: %v, want ErrStopped", err)
		}
		return nil
	})

	raise(t, unix.SIGUSR2)
	<-live
	looptest.On(t, l, func() {
		if stoppedCalls != 0 || liveCalls != 1 {
			t.Errorf("callbacks: stopped one called %d times, live one %d; want 0 and 1", stoppedCalls, liveCalls)
		}
	})
}

// A fiber parked in Recv is not a deadlock: a signal may come. Its context
// still ends the wait.
func TestRecvParksAndCancels(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGWINCH)
		if err != nil {
			return err
		}
		defer s.Stop()
		go unix.Kill(unix.Getpid(), unix.SIGWINCH) // while main is parked
		if err := recvTimeout(ctx, func(ctx context.Context) error { _, err := s.Recv(ctx); return err }); err != nil {
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Recv(cctx); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("Recv with a cancelled context: %v, want context.Canceled", err)
		}
		return nil
	})
}

// A loop that closes stops its subscriptions: nothing relays the signal
// any more and no goroutine is left.
func TestLoopCloseStops(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := signal.Subscribe(l, unix.SIGUSR1)
	if err != nil {
		t.Fatal(err)
	}
	if !signal.Watching(unix.SIGUSR1) {
		t.Fatal("SIGUSR1 not relayed while subscribed")
	}
	l.Close()
	if signal.Watching(unix.SIGUSR1) {
		t.Error("SIGUSR1 still relayed after its loop closed")
	}
	s.Stop() // harmless
	if _, err := signal.Subscribe(l, unix.SIGUSR1); !errors.Is(err, loop.ErrClosed) {
		t.Errorf("Subscribe on a closed loop: %v, want loop.ErrClosed", err)
	}
	if signal.Watching(unix.SIGUSR1) {
		t.Error("SIGUSR1 relayed after a refused Subscribe")
	}
}

func TestInvalid(t *testing.T) {
	l := looptest.Start(t)
	for name, sigs := range map[string][]os.Signal{
		"none":      nil,
		"SIGKILL":   {unix.SIGKILL},
		"SIGSTOP":   {unix.SIGHUP, unix.SIGSTOP},
		"zero":      {syscall.Signal(0)},
		"too large": {syscall.Signal(1000)},
		"not unix":  {fakeSignal{}},
	} {
		if _, err := signal.Subscribe(l, sigs...); !errors.Is(err, signal.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if _, err := signal.Subscribe(nil, unix.SIGHUP); !errors.Is(err, signal.ErrInvalid) {
		t.Errorf("nil loop: err %v, want ErrInvalid", err)
	}
	if signal.Watching(unix.SIGHUP) {
		t.Error("a refused subscription left SIGHUP relayed")
	}
}

type fakeSignal struct{}

func (fakeSignal) String() string { return "fake" }
func (fakeSignal) Signal()        {}

// childEnv makes the test binary run childMain instead of the tests.
const childEnv = "WEFT_SIGNAL_TEST_CHILD"

// childMain subscribes to SIGTERM, sends it to itself and receives it (so
// it survives it), stops, and sends it again: with the default action back
// it dies of it, and the exit code below is never reached. The kernel may
// hand a signal to another thread than the sender's, a moment after kill
// returns, hence the wait before giving up.
func childMain() int {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		s, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGTERM)
		if err != nil {
			return err
		}
		if err := unix.Kill(unix.Getpid(), unix.SIGTERM); err != nil {
			return err
		}
		if _, err := s.Recv(ctx); err != nil {
			return err
		}
		fmt.Println("survived SIGTERM while subscribed")
		s.Stop()
		return unix.Kill(unix.Getpid(), unix.SIGTERM)
	})
	if err == nil {
		time.Sleep(waitLimit)
	}
	fmt.Println("still alive after the last Stop:", err)
	return 3
}

// Once its last subscriber stops, a signal's default action is back: a
// child process that survived SIGTERM while subscribed dies of it after.
func TestStopRestoresDefault(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.Output()
	if !strings.Contains(string(out), "survived SIGTERM while subscribed") {
		t.Errorf("child output %q: it did not receive SIGTERM as an event", out)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v (output %q), want it killed by SIGTERM", err, out)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != unix.SIGTERM {
		t.Errorf("child ended with %v (output %q), want killed by SIGTERM", ee, out)
	}
}
