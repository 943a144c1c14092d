package future

import (
	"sync"

	"github.com/weftio/weft/loop"
)

// loopState is what the package keeps per loop: the unobserved rejections,
// reported when the loop closes, and the resources outside the loop that
// pending futures hold, released then.
type loopState struct {
	mu      sync.Mutex
	records map[*record]struct{}
	live    map[*liveRes]struct{}
	closed  bool
}

func (ls *loopState) remove(r *record) {
	ls.mu.Lock()
	delete(ls.records, r)
	ls.mu.Unlock()
}

func (ls *loopState) unlive(r *liveRes) {
	ls.mu.Lock()
	delete(ls.live, r)
	ls.mu.Unlock()
}

var states sync.Map // *loop.Loop -> *loopState

// stateOf returns l's state, making it (and its close hook) the first time.
func stateOf(l *loop.Loop) *loopState {
	if ls, ok := states.Load(l); ok {
		return ls.(*loopState)
	}
	ls := &loopState{records: map[*record]struct{}{}, live: map[*liveRes]struct{}{}}
	if prev, loaded := states.LoadOrStore(l, ls); loaded {
		return prev.(*loopState)
	}
	l.OnClose(func() {
		states.Delete(l)
		ls.mu.Lock()
		ls.closed = true
		recs := make([]*record, 0, len(ls.records))
		for r := range ls.records {
			recs = append(recs, r)
		}
		live := make([]*liveRes, 0, len(ls.live))
		for r := range ls.live {
			live = append(live, r)
		}
		ls.mu.Unlock()
		for _, r := range live {
			r.release()
		}
		for _, r := range recs {
			r.report("loop closed")
		}
	})
	return ls
}

// liveRes is a resource outside the loop (a goroutine, a context, a
// channel's receiver) that a pending future holds. It is released once:
// when the future settles, or when the loop closes first.
type liveRes struct {
	once sync.Once
	fn   func()
	ls   *loopState
}

// release runs fn, unless r was released or dropped before.
func (r *liveRes) release() {
	r.once.Do(func() {
		r.ls.unlive(r)
		r.fn()
	})
}

// drop forgets r without running fn.
func (r *liveRes) drop() { r.once.Do(func() { r.ls.unlive(r) }) }

// atClose arranges for fn to run when l closes, unless the returned
// resource is released or dropped first; if l is already closed, fn runs
// now. fn runs after l's goroutine has stopped, so it may read the state
// of l's futures. Safe from any goroutine.
func atClose(l *loop.Loop, fn func()) *liveRes {
	ls := stateOf(l)
	r := &liveRes{fn: fn, ls: ls}
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		r.release()
		return r
	}
	ls.live[r] = struct{}{}
	ls.mu.Unlock()
	return r
}

// hold makes f own the resource released by fn: fn runs when f settles or
// when f's loop closes, whichever comes first. Safe from any goroutine.
func (f *Future[T]) hold(fn func()) { f.onRelease(atClose(f.l, fn).release) }
