//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"net/netip"
)

// QueuedBytes returns how many bytes wait in c's write queue, for tests.
func QueuedBytes(c *Conn) int {
	n := 0
	_ = c.onLoop("test", func() error { n = c.queued(); return nil })
	return n
}

// SetLookup replaces the DNS look-up for a test and returns a func that
// restores it.
func SetLookup(f func(ctx context.Context, network, host string) ([]netip.Addr, error)) (restore func()) {
	prev := lookupNetIP
	lookupNetIP = f
	return func() { lookupNetIP = prev }
}

// Batched reports whether c reads and writes through its loop's batcher
// (WithIOUring), for tests. Loop goroutine only.
func Batched(c *EventConn) bool { return c.batching() }

// BatchedConn reports whether c reads and writes through its loop's
// batcher (WithIOUring), for tests.
func BatchedConn(c *Conn) bool {
	var b bool
	_ = c.onLoop("test", func() error { b = c.batching(); return nil })
	return b
}

// DeadlineTimers returns when the read and write deadlines' timers are
// due on c's loop clock (0: not armed), for tests. The calling fiber must
// be on c's loop.
func DeadlineTimers(c *Conn) (read, write int64) {
	if c.x == nil {
		return 0, 0
	}
	return c.x.rdl.t.When(), c.x.wdl.t.When()
}
