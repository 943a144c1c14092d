package uring_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/uring"
)

func TestAvailable(t *testing.T) {
	err := uring.Available()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Available() = %v, which does not match errors.ErrUnsupported", err)
	}
	if again := uring.Reprobe(); (again == nil) != (err == nil) {
		t.Fatalf("Reprobe() = %v after Available() = %v", again, err)
	}
	if err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	if _, err := uring.New(uring.Config{}); err != nil {
		t.Fatalf("Available() = nil but New: %v", err)
	}
}

func TestNew_Config(t *testing.T) {
	newRing(t, uring.Config{}) // skips where unavailable
	for _, cfg := range []uring.Config{
		{Entries: 3},
		{Entries: 65536},
		{Entries: 16, CQEntries: 8}, // the kernel's EINVAL
	} {
		if r, err := uring.New(cfg); err == nil {
			r.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		} else {
			t.Logf("New(%+v): %v", cfg, err)
		}
	}
	var sys *os.SyscallError
	if _, err := uring.New(uring.Config{Entries: 16, CQEntries: 8}); !errors.As(err, &sys) || !errors.Is(err, unix.EINVAL) {
		t.Errorf("New with CQEntries < Entries: %v, want an *os.SyscallError of EINVAL", err)
	}
}

func TestRing_Supports(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	for _, op := range []uint8{uring.OpNop, uring.OpRead, uring.OpWrite, uring.OpFsync, uring.OpOpenat,
		uring.OpClose, uring.OpStatx, uring.OpRenameat, uring.OpUnlinkat, uring.OpMkdirat,
		uring.OpAsyncCancel, uring.OpReadFixed, uring.OpWriteFixed} {
		if !r.Supports(op) {
			t.Errorf("Supports(%d) = false on a kernel that has it", op)
		}
	}
	if r.Supports(255) {
		t.Errorf("Supports(255) = true")
	}
}

// TestRing_FullSQ checks that SQE hands out exactly Entries SQEs before a
// Submit, and that Submit frees them all.
func TestRing_FullSQ(t *testing.T) {
	const entries = 8
	r := newRing(t, uring.Config{Entries: entries})
	if n, err := r.Submit(); n != 0 || err != nil {
		t.Fatalf("Submit() with nothing queued = %d, %v", n, err)
	}
	for i := range entries {
		s := r.SQE()
		if s == nil {
			t.Fatalf("SQE() = nil after %d", i)
		}
		s.PrepNop()
		s.SetUserData(uint64(i))
	}
	if s := r.SQE(); s != nil {
		t.Fatalf("SQE() = %p with %d queued, want nil", s, entries)
	}
	if q := r.Queued(); q != entries {
		t.Fatalf("Queued() = %d, want %d", q, entries)
	}
	if n, err := r.Submit(); n != entries || err != nil {
		t.Fatalf("Submit() = %d, %v, want %d", n, err, entries)
	}
	if q := r.Queued(); q != 0 {
		t.Fatalf("Queued() = %d after Submit, want 0", q)
	}
	if s := r.SQE(); s == nil {
		t.Fatal("SQE() = nil after Submit")
	} else {
		s.PrepNop()
	}
	// The nops completed inside Submit; the extra one inside this one.
	if _, err := r.SubmitAndWait(entries + 1); err != nil {
		t.Fatal(err)
	}
	if n := r.Reap(func(uring.CQE) {}); n != entries+1 {
		t.Fatalf("Reap() = %d, want %d", n, entries+1)
	}
}

// TestRing_SQEZeroed checks that an SQE comes back zeroed after the kernel
// has consumed it: a stale field from the last operation in the slot would
// change the meaning of the next one.
func TestRing_SQEZeroed(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 1})
	path, _ := unix.BytePtrFromString(t.TempDir())
	res := do(t, r, func(s *uring.SQE) {
		s.PrepOpenat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		s.SetFlags(uring.SQEAsync)
	})[0].Res
	if res < 0 {
		t.Fatalf("openat: %v", unix.Errno(-res))
	}
	defer unix.Close(int(res))
	// A nop with leftover open flags or SQEAsync would still succeed, so
	// look at the slot itself: it is the same one, since Entries is 1.
	s := r.SQE()
	if *s != (uring.SQE{}) {
		t.Fatalf("SQE() = %+v, want zero", *s)
	}
	s.PrepNop()
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	r.Reap(func(uring.CQE) {})
}

func TestRing_EventFD(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	efd := r.EventFD()
	readable := func(timeout int) bool {
		t.Helper()
		fds := []unix.PollFd{{Fd: int32(efd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, timeout)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			return n == 1 && fds[0].Revents&unix.POLLIN != 0
		}
	}
	if readable(0) {
		t.Fatal("the eventfd is readable before any completion")
	}
	r.SQE().PrepNop()
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if !readable(int(waitLimit.Milliseconds())) {
		t.Fatalf("the eventfd is not readable %v after a completion", waitLimit)
	}
	r.DrainEventFD()
	if readable(0) {
		t.Fatal("the eventfd is readable after DrainEventFD")
	}
	r.DrainEventFD() // counter already 0: EAGAIN, ignored
	if n := r.Reap(func(uring.CQE) {}); n != 1 {
		t.Fatalf("Reap() = %d, want 1", n)
	}
}

// TestRing_Reap_reentrant calls SQE, Submit and Reap from Reap's callback.
func TestRing_Reap_reentrant(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 8})
	submitNops := func(n int) {
		t.Helper()
		for i := range n {
			s := r.SQE()
			s.PrepNop()
			s.SetUserData(uint64(100 + i))
		}
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("submit", func(t *testing.T) {
		submitNops(4)
		n := r.Reap(func(c uring.CQE) {
			if c.UserData == 100 {
				s := r.SQE()
				s.PrepNop()
				s.SetUserData(200)
				if _, err := r.Submit(); err != nil {
					t.Error(err)
				}
			}
		})
		if n != 4 {
			t.Errorf("Reap() = %d, want the 4 CQEs there when it started", n)
		}
		var got []uint64
		if n := r.Reap(func(c uring.CQE) { got = append(got, c.UserData) }); n != 1 || got[0] != 200 {
			t.Errorf("the next Reap() = %d %v, want the nop submitted from the callback", n, got)
		}
	})

	t.Run("reap", func(t *testing.T) {
		submitNops(6)
		seen := map[uint64]int{}
		inner := 0
		outer := r.Reap(func(c uring.CQE) {
			seen[c.UserData]++
			if c.UserData == 101 {
				inner = r.Reap(func(c uring.CQE) { seen[c.UserData]++ })
			}
		})
		if outer+inner != 6 || inner != 4 || len(seen) != 6 {
			t.Errorf("outer Reap %d, inner %d, CQEs seen %v: want 2, 4 and each of 6 once", outer-inner, inner, seen)
		}
		for u, n := range seen {
			if n != 1 {
				t.Errorf("CQE %d seen %d times", u, n)
			}
		}
	})
}

// TestRing_CQOverflow overfills the CQ: the kernel keeps what does not
// fit (IORING_FEAT_NODROP), and Reap must bring it in.
func TestRing_CQOverflow(t *testing.T) {
	const entries, rounds = 4, 5
	r := newRing(t, uring.Config{Entries: entries, CQEntries: entries})
	for round := range rounds {
		for i := range entries {
			s := r.SQE()
			s.PrepNop()
			s.SetUserData(uint64(round*entries + i))
		}
		if n, err := r.Submit(); n != entries || err != nil {
			t.Fatalf("round %d: Submit() = %d, %v", round, n, err)
		}
	}
	seen := make([]bool, rounds*entries)
	n := r.Reap(func(c uring.CQE) {
		if c.UserData >= uint64(len(seen)) || seen[c.UserData] || c.Res != 0 {
			t.Errorf("unexpected CQE %+v", c)
			return
		}
		seen[c.UserData] = true
	})
	if n != len(seen) {
		t.Fatalf("Reap() = %d of %d completions, with the CQ holding %d", n, len(seen), entries)
	}
}

// TestRing_CQEntries checks that CQEntries makes a CQ deeper than 2*Entries.
func TestRing_CQEntries(t *testing.T) {
	const entries, cq = 4, 64
	r := newRing(t, uring.Config{Entries: entries, CQEntries: cq})
	for range cq / entries {
		for range entries {
			r.SQE().PrepNop()
		}
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
	}
	// All in the CQ, none held back: Reap makes no system call for them,
	// which the count alone cannot show, but the eventfd test and the
	// overflow test cover the other paths.
	if n := r.Reap(func(uring.CQE) {}); n != cq {
		t.Fatalf("Reap() = %d, want %d", n, cq)
	}
}

func TestRing_Close(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	r.SQE().PrepNop()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close = %v, want os.ErrClosed", err)
	}
	if s := r.SQE(); s != nil {
		t.Error("SQE() after Close != nil")
	}
	if _, err := r.Submit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Submit() after Close = %v, want os.ErrClosed", err)
	}
	if _, err := r.SubmitAndWait(1); !errors.Is(err, os.ErrClosed) {
		t.Errorf("SubmitAndWait(1) after Close = %v, want os.ErrClosed", err)
	}
	if err := r.RegisterFiles([]int32{0}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("RegisterFiles after Close = %v, want os.ErrClosed", err)
	}
	if n := r.Reap(func(uring.CQE) { t.Error("CQE after Close") }); n != 0 {
		t.Errorf("Reap() after Close = %d", n)
	}
	if q, efd := r.Queued(), r.EventFD(); q != 0 || efd != -1 {
		t.Errorf("after Close: Queued() = %d, EventFD() = %d, want 0 and -1", q, efd)
	}
	r.DrainEventFD()
}

// TestRing_Close_fromReap closes the Ring from Reap's callback, which must
// stop reading the unmapped CQ.
func TestRing_Close_fromReap(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	for range 4 {
		r.SQE().PrepNop()
	}
	if _, err := r.SubmitAndWait(4); err != nil {
		t.Fatal(err)
	}
	if n := r.Reap(func(uring.CQE) { r.Close() }); n != 1 {
		t.Fatalf("Reap() = %d, want 1: the callback closed the ring", n)
	}
}

// TestRing_Close_releases makes and closes 100 Rings, and counts the
// process's descriptors and io_uring mappings before and after.
func TestRing_Close_releases(t *testing.T) {
	fdsBefore, mapsBefore := fdtest.Count(t), countRingMaps(t)
	open := newRing(t, uring.Config{Entries: 4}) // skips where unavailable
	if fds, maps := fdtest.Count(t), countRingMaps(t); fds != fdsBefore+2 || maps <= mapsBefore {
		t.Fatalf("with a Ring open: %d descriptors and %d io_uring mappings, before: %d and %d",
			fds, maps, fdsBefore, mapsBefore)
	}
	open.Close()
	for range 100 {
		r, err := uring.New(uring.Config{Entries: 8})
		if err != nil {
			t.Fatal(err)
		}
		r.SQE().PrepNop()
		if _, err := r.SubmitAndWait(1); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if fds, maps := fdtest.Count(t), countRingMaps(t); fds != fdsBefore || maps != mapsBefore {
		t.Fatalf("after 100 New/Close: %d descriptors and %d io_uring mappings, before: %d and %d",
			fds, maps, fdsBefore, mapsBefore)
	}
}

// countRingMaps counts the mappings of io_uring descriptors in
// /proc/self/maps, which name the anonymous inode behind them.
func countRingMaps(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "anon_inode:[io_uring]")
}

// TestSQE_escapes checks that the Prep methods move a buffer the caller
// made in its own frame to the heap: left on the stack, it could move
// under the kernel's feet.
func TestSQE_escapes(t *testing.T) {
	s := new(uring.SQE)
	for name, prep := range map[string]func(){
		"PrepRead": func() {
			var buf [64]byte
			s.PrepRead(0, buf[:], 0)
		},
		"PrepStatx": func() {
			var st unix.Statx_t
			s.PrepStatx(unix.AT_FDCWD, nil, 0, 0, &st)
		},
	} {
		if a := testing.AllocsPerRun(10, prep); a != 1 {
			t.Errorf("%s: %v allocations, want 1: the buffer stays on the stack", name, a)
		}
	}
}

// TestRing_Submit_rejected queues an SQE the kernel rejects while
// preparing it between two good ones: all three are submitted, and the
// error comes in the CQE.
func TestRing_Submit_rejected(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	path, _ := unix.BytePtrFromString(t.TempDir())
	res := do(t, r,
		func(s *uring.SQE) { s.PrepNop() },
		func(s *uring.SQE) { s.PrepUnlinkat(unix.AT_FDCWD, path, 0x4000) }, // not AT_REMOVEDIR
		func(s *uring.SQE) { s.PrepNop() },
	)
	if res[0].Res != 0 || res[1].Res != -int32(unix.EINVAL) || res[2].Res != 0 {
		t.Fatalf("Res = %d %d %d, want 0, -EINVAL, 0", res[0].Res, res[1].Res, res[2].Res)
	}
	if q := r.Queued(); q != 0 {
		t.Fatalf("Queued() = %d", q)
	}
}
