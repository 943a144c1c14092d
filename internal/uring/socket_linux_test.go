package uring_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// socketPair returns a connected pair of non-blocking Unix stream sockets,
// closed when the test ends.
func socketPair(t *testing.T) [2]int {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds
}

// reapAll reaps what is in the CQ by user data.
func reapAll(r *uring.Ring) map[uint64]int32 {
	res := make(map[uint64]int32)
	r.Reap(func(c uring.CQE) { res[c.UserData] = c.Res })
	return res
}

// With MSG_DONTWAIT, send and recv finish inside the Submit that starts
// them, data or not: no wait, and no eventfd with Config.NoEventFD.
func TestRing_SendRecvDontWait(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 8, NoEventFD: true})
	if r.EventFD() != -1 {
		t.Fatalf("EventFD() = %d with NoEventFD, want -1", r.EventFD())
	}
	if !r.Supports(uring.OpSend) || !r.Supports(uring.OpRecv) {
		t.Fatal("the kernel's probe lacks send or recv")
	}
	p := socketPair(t)
	buf := make([]byte, 64)

	// Nothing to read: -EAGAIN at once.
	sqe := r.SQE()
	sqe.PrepRecv(p[1], buf, unix.MSG_DONTWAIT)
	sqe.SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if res := reapAll(r); len(res) != 1 || res[1] != -int32(unix.EAGAIN) {
		t.Fatalf("recv on an empty socket: %v, want {1: -EAGAIN} at once", res)
	}

	// A send then a recv in one Submit: both done when it returns, in
	// order.
	msg := []byte("hello, ring")
	sqe = r.SQE()
	sqe.PrepSend(p[0], msg, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	sqe.SetUserData(2)
	sqe = r.SQE()
	sqe.PrepRecv(p[1], buf, unix.MSG_DONTWAIT)
	sqe.SetUserData(3)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	res := reapAll(r)
	if res[2] != int32(len(msg)) || res[3] != int32(len(msg)) || string(buf[:len(msg)]) != string(msg) {
		t.Fatalf("send+recv: results %v, buf %q", res, buf[:max(res[3], 0)])
	}

	// A full socket buffer: the send takes part, then -EAGAIN.
	if err := unix.SetsockoptInt(p[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	for i := 0; ; i++ {
		sqe = r.SQE()
		sqe.PrepSend(p[0], big, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		sqe.SetUserData(4)
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		res := reapAll(r)
		if res[4] == -int32(unix.EAGAIN) {
			break
		}
		if res[4] <= 0 || i > 100 {
			t.Fatalf("send %d into a filling socket: %v", i, res)
		}
	}
}

// Withdraw takes back SQEs that were never submitted: they do not run.
func TestRing_Withdraw(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 8, NoEventFD: true})
	p := socketPair(t)
	for range 3 {
		r.SQE().PrepSend(p[0], []byte("x"), unix.MSG_DONTWAIT)
	}
	if n := r.Withdraw(); n != 3 {
		t.Fatalf("Withdraw() = %d, want 3", n)
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if n := r.Reap(func(uring.CQE) {}); n != 0 {
		t.Fatalf("%d completions after Withdraw, want none", n)
	}
	var b [1]byte
	if _, err := unix.Read(p[1], b[:]); err != unix.EAGAIN {
		t.Fatalf("the withdrawn sends ran: read gave %v", err)
	}
	// The ring goes on working.
	sqe := r.SQE()
	sqe.PrepSend(p[0], []byte("y"), unix.MSG_DONTWAIT)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if n := r.Reap(func(uring.CQE) {}); n != 1 {
		t.Fatalf("%d completions after a send, want 1", n)
	}
}
