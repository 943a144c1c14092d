package sync

import (
	"context"
	"fmt"
)

// A Semaphore is a weighted semaphore for the fibers of one loop: a pool
// of size units that Acquire takes from and Release gives back, as
// golang.org/x/sync/semaphore.Weighted is for goroutines. Make one with
// NewSemaphore.
//
// Acquire calls are served first in, first out. A caller that wants more
// than is free waits, and so does everyone behind it, even callers that
// want less: letting small requests pass would starve a large one forever
// if small ones keep coming. Release hands the freed units to the waiters
// at the front, before they run.
type Semaphore struct {
	size, cur int64
	q         waitq[struct{}]
}

// NewSemaphore returns a Semaphore of size units, all free. It panics if
// size is negative.
func NewSemaphore(size int64) *Semaphore {
	if size < 0 {
		panic("sync: NewSemaphore with a negative size")
	}
	return &Semaphore{size: size}
}

// Acquire takes n units, parking the calling fiber until they are free
// and every caller that came before has been served. If they are free and
// nobody waits, Acquire takes them at once, even if ctx is done.
//
// If ctx is done first, Acquire returns ctx.Err() and leaves the semaphore
// unchanged: the caller holds no units, and the callers behind it are
// served if it was all that held them up. Once granted, the units are the
// caller's even if ctx is cancelled before the fiber runs: Acquire then
// returns nil. Only a fiber may call Acquire when it has to wait. Acquire
// panics if n is negative or more than the semaphore's size, which no wait
// could ever satisfy.
func (s *Semaphore) Acquire(ctx context.Context, n int64) error {
	s.check(n)
	if s.size-s.cur >= n && s.q.empty() {
		s.cur += n
		return nil
	}
	w := s.q.get()
	w.n = n
	err := s.q.park(ctx, "Semaphore.Acquire", w)
	s.q.put(w)
	if err != nil {
		// If it was at the front, the callers behind it may fit now.
		s.grant()
	}
	return err
}

// TryAcquire takes n units and reports true if they are free and nobody
// waits, and otherwise reports false without waiting. It panics as
// Acquire does.
func (s *Semaphore) TryAcquire(n int64) bool {
	s.check(n)
	if s.size-s.cur >= n && s.q.empty() {
		s.cur += n
		return true
	}
	return false
}

func (s *Semaphore) check(n int64) {
	if n < 0 || n > s.size {
		panic(fmt.Sprintf("sync: Semaphore of size %d cannot acquire %d", s.size, n))
	}
}

// Release gives back n units and grants them to the waiters at the front
// that they satisfy. Any code running on the loop may call it; it never
// parks. Releasing more than is held panics and leaves the semaphore
// unchanged.
func (s *Semaphore) Release(n int64) {
	if n < 0 || n > s.cur {
		panic(fmt.Sprintf("sync: Semaphore released %d units with %d held", n, s.cur))
	}
	s.cur -= n
	s.grant()
}

// grant serves the waiters at the front while what is free satisfies the
// first of them.
func (s *Semaphore) grant() {
	for w := s.q.front(); w != nil; w = s.q.front() {
		if s.size-s.cur < w.n {
			return
		}
		s.q.remove(w)
		if w.wake() {
			s.cur += w.n
		}
	}
}
