//go:build linux

package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// goroutinesBack fails t unless the goroutine count comes back to n: a
// goroutine that has just sent its last value may take a moment to end.
func goroutinesBack(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// Every implementation serves active and idle pairs, checks every answer,
// and leaves no goroutine, fd or ring behind when it stops.
func TestPingPong(t *testing.T) {
	for _, impl := range []string{"thread", "go-net", "poll", "epoll", "uring", "weft-loop", "weft-uring", "weft-fiber"} {
		t.Run(impl, func(t *testing.T) {
			fdtest.Check(t)
			g0 := runtime.NumGoroutine()
			ld := newLoad(5, 3, 64)
			ld.target, ld.reached = 300, make(chan struct{})
			stop, err := pingpong[impl](ld)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-ld.reached:
			case <-time.After(20 * time.Second):
				t.Errorf("only %d round trips in 20 s", ld.ops.Load())
			}
			if err := stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
			goroutinesBack(t, g0)
		})
	}
}

// A wrong answer must fail the run, or the figures could count garbage.
func TestCheck(t *testing.T) {
	ld := newLoad(3, 3, 8)
	if err := ld.check(2, ld.msg(2)); err != nil {
		t.Errorf("check of a right answer: %v", err)
	}
	for _, bad := range [][]byte{ld.msg(1), ld.msg(2)[:7], append(ld.msg(2)[:7], 1)} {
		if err := ld.check(2, bad); err == nil {
			t.Errorf("check(2, %x) passed", bad)
		}
	}
}

// Every way of moving small messages delivers each one whole, and the
// check catches one that is not.
func TestMsgs(t *testing.T) {
	for name, way := range msgs {
		t.Run(name, func(t *testing.T) {
			fdtest.Check(t)
			tx, rx, err := udpPair()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { closeFDs(tx, rx) }()
			b := &batch{tx: tx, rx: rx, n: 16, size: 64, out: make([]byte, 16*64), in: make([]byte, 16*64)}
			for i := range b.out {
				b.out[i] = byte(i / 64)
			}
			round, release, err := way(b)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			for range 3 {
				clear(b.in)
				if err := round(); err != nil {
					t.Fatal(err)
				}
				if err := b.check(); err != nil {
					t.Fatal(err)
				}
			}
			b.in[5*64+9]++
			if err := b.check(); err == nil || !strings.Contains(err.Error(), "message 5") {
				t.Errorf("check of a torn message 5: %v", err)
			}
		})
	}
}

// startMsgs runs a way on its own goroutine and stops it cleanly.
func TestStartMsgs(t *testing.T) {
	fdtest.Check(t)
	g0 := runtime.NumGoroutine()
	ops, stop, err := startMsgs(msgMmsg, 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	for ops() < 8*100 {
		runtime.Gosched()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if ops()%8 != 0 {
		t.Errorf("%d messages counted: not whole batches of 8", ops())
	}
	goroutinesBack(t, g0)
}

func TestVectorsCoverBuffer(t *testing.T) {
	buf := bytes.Repeat([]byte{7}, 4*16)
	hs := vectors(buf, 4, 16)
	for i, h := range hs {
		if h.Hdr.Iov.Base != &buf[i*16] || h.Hdr.Iov.Len != 16 {
			t.Errorf("vector %d: base %p len %d", i, h.Hdr.Iov.Base, h.Hdr.Iov.Len)
		}
	}
}
