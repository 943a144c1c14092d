//go:build linux

package main

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// proactor serves the load through io_uring: a read is always posted on
// every watched socket, and each completion posts what comes next. The
// raw runner (uring) and weft's (weft-uring) drive it differently: the
// first waits in io_uring_enter, the second on a loop.
type proactor struct {
	ld       *load
	ring     *uring.Ring
	es       []*end
	inflight int  // operations posted and not yet completed
	closing  bool // the sockets are shut down: completions now only drain
	err      error
}

// User data: an operation on es[i] is i<<1, with the low bit set for a
// write; wakeTag is the raw runner's wake-up read.
const wakeTag = ^uint64(0)

// ringEntries is the size of the rings, which fill only at the start
// (a read per socket and a ping per active pair) and then hold a few.
const ringEntries = 1024

func newProactor(ld *load, ring *uring.Ring) *proactor {
	return &proactor{ld: ld, ring: ring, es: ld.ends()}
}

// sqe returns a free SQE, submitting what is queued if the ring is full.
func (pr *proactor) sqe() *uring.SQE {
	s := pr.ring.SQE()
	for s == nil {
		if _, err := pr.ring.Submit(); err != nil {
			pr.fail(err)
		}
		s = pr.ring.SQE()
	}
	return s
}

func (pr *proactor) postRead(i int) {
	e := pr.es[i]
	s := pr.sqe()
	s.PrepRead(e.fd, e.buf[e.got:], 0)
	s.SetUserData(uint64(i) << 1)
	pr.inflight++
}

func (pr *proactor) postWrite(i int) {
	s := pr.sqe()
	s.PrepWrite(pr.es[i].fd, pr.es[i].out, 0)
	s.SetUserData(uint64(i)<<1 | 1)
	pr.inflight++
}

// start posts a read on every socket and every active pair's first ping.
func (pr *proactor) start() {
	for i, e := range pr.es {
		pr.postRead(i)
		if e.client {
			pr.postWrite(i)
		}
	}
}

// complete acts on one completion.
func (pr *proactor) complete(c uring.CQE) {
	if c.UserData == wakeTag {
		return
	}
	pr.inflight--
	if pr.closing {
		return
	}
	i := int(c.UserData >> 1)
	e := pr.es[i]
	if c.UserData&1 == 1 {
		if int(c.Res) != len(e.out) {
			pr.fail(fmt.Errorf("write completed with %d of %d bytes", c.Res, len(e.out)))
		}
		return
	}
	switch {
	case c.Res < 0:
		pr.fail(fmt.Errorf("read: %w", unix.Errno(-c.Res)))
		return
	case c.Res == 0:
		pr.fail(errEOF)
		return
	}
	if e.got += int(c.Res); e.got < pr.ld.size {
		pr.postRead(i)
		return
	}
	e.got = 0
	if e.client {
		if err := pr.ld.check(e.pair, e.buf); err != nil {
			pr.fail(err)
			return
		}
		pr.ld.count()
		if !pr.ld.stopping.Load() {
			pr.postWrite(i)
		}
	} else {
		copy(e.out, e.buf) // the next message comes only after this answer
		pr.postWrite(i)
	}
	pr.postRead(i)
}

func (pr *proactor) fail(err error) {
	if pr.err == nil {
		pr.err = err
	}
}

// shutdown shuts every watched socket down, so that the reads posted on
// them complete (with 0) and the ring can be drained.
func (pr *proactor) shutdown() {
	pr.closing = true
	for _, e := range pr.es {
		unix.Shutdown(e.fd, unix.SHUT_RDWR)
	}
}

// runURing serves the load with a raw io_uring on one goroutine locked to
// its thread, as a C program would: it submits and waits in one
// io_uring_enter, reaps, and goes round. A read on a pipe, which stop
// writes to, wakes it for the end.
func runURing(ld *load) (func() error, error) {
	if err := ld.socketPairs(true); err != nil {
		return nil, err
	}
	var wake [2]int
	if err := unix.Pipe2(wake[:], unix.O_CLOEXEC); err != nil {
		ld.closeAll()
		return nil, err
	}
	ready, done := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the submitter: the kernel finishes completions on its thread
		defer runtime.UnlockOSThread()
		ring, err := uring.New(uring.Config{Entries: ringEntries})
		if err != nil {
			ready <- err
			return
		}
		ready <- nil
		pr := newProactor(ld, ring)
		wbuf := make([]byte, 1)
		s := pr.sqe()
		s.PrepRead(wake[0], wbuf, 0)
		s.SetUserData(wakeTag)
		pr.start()
		woken := false
		for !woken && pr.err == nil {
			if _, err := ring.SubmitAndWait(1); err != nil {
				pr.fail(err)
				break
			}
			ring.Reap(func(c uring.CQE) {
				woken = woken || c.UserData == wakeTag
				pr.complete(c)
			})
		}
		pr.shutdown()
		for pr.inflight > 0 {
			ring.SubmitAndWait(1)
			ring.Reap(pr.complete)
		}
		ring.Close()
		done <- pr.err
	}()
	if err := <-ready; err != nil {
		ld.closeAll()
		unix.Close(wake[0])
		unix.Close(wake[1])
		return nil, err
	}
	return func() error {
		ld.stopping.Store(true)
		unix.Write(wake[1], []byte{1})
		err := <-done
		unix.Close(wake[0])
		unix.Close(wake[1])
		ld.closeAll()
		return err
	}, nil
}
