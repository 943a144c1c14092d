//go:build linux || darwin || freebsd || netbsd || openbsd

package signal

import (
	"slices"
	"syscall"
)

// Inject counts n deliveries of sig for s, as its relaying goroutine
// would, without sending a flush: the test decides when Flush runs.
func Inject(s *Sub, sig syscall.Signal, n int) {
	s.counts[slices.Index(s.sigs, sig)].Add(int64(n))
}

// Deliver is one delivery of sig to s by its relaying goroutine.
func Deliver(s *Sub, sig syscall.Signal) { s.deliver(slices.Index(s.sigs, sig)) }

// Flush turns the counted deliveries into Events. On s's loop.
func Flush(s *Sub) { s.flush() }

// Watching reports whether sig has a relaying goroutine.
func Watching(sig syscall.Signal) bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	_, ok := reg.watches[sig]
	return ok
}
