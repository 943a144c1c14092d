//go:build linux

package fs

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

// poolBackend runs each op as a blocking system call on weft's shared
// offload pool (at most max(4, GOMAXPROCS) workers) and completes it on
// the loop. A blocking system call cannot be cancelled, and a worker reads
// the op while it runs: cancel does nothing, and a cancelled op completes
// when its call returns (for a regular file, within a disk access).
type poolBackend struct {
	l      *loop.Loop
	pool   *offload.Pool
	busy   atomic.Int64 // system calls queued or running, for close
	closed atomic.Bool  // the loop closed: queued calls must not start
}

func newPool(l *loop.Loop) *poolBackend {
	return &poolBackend{l: l, pool: offload.Shared()}
}

func (p *poolBackend) start(o *op) {
	loopctl.Hold(p.l, 1) // the loop waits for the completion
	res := int32(0)
	ran := false
	p.busy.Add(1)
	work := func() {
		ran = true
		if p.closed.Load() {
			res = -int32(unix.ECANCELED)
		} else {
			res = syscallOf(o)
		}
		p.busy.Add(-1)
	}
	then := func(err error) {
		loopctl.Hold(p.l, -1)
		if !ran { // the pool refused the work
			p.busy.Add(-1)
		}
		if err != nil {
			res = -int32(unix.EIO)
		}
		o.complete(res)
	}
	if offload.Do(p.pool, p.l, work, then) != nil {
		loopctl.Hold(p.l, -1) // the loop is closed: nothing completes o
		p.busy.Add(-1)
	}
}

func (p *poolBackend) cancel(*op) {}

// close runs when the loop closes, before it closes the files left open:
// calls still queued must not start (they would reach descriptor numbers
// the process may reuse), and close waits, for at most closeWait, for
// those running. One blocked for good (a read of a pipe nobody writes)
// keeps its own reference to the open file, so closing the descriptor
// under it is safe.
func (p *poolBackend) close() {
	p.closed.Store(true)
	deadline := time.Now().Add(poolCloseWait)
	for p.busy.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// poolCloseWait bounds how long a closing loop waits for running system
// calls: a disk access takes milliseconds, a read of an idle pipe forever.
const poolCloseWait = 2 * time.Second
