package timer_test

import (
	"fmt"
	"testing"

	"github.com/weftio/weft/timer"
)

// queue is what the behaviour tests need from an implementation, so that the
// timing wheel kept for the benchmarks is held to the same contract as Queue,
// handles included. (Boxing a handle in an interface allocates: the
// allocation tests use Queue directly.)
type queue interface {
	Add(when int64, f func()) handle
	Next() (int64, bool)
	Expire(now int64, run func(f func())) int
	Len() int
	check() error
}

type handle interface {
	Stop() bool
	Reset(when int64) bool
	When() int64
	Pending() bool
}

type heapQueue struct{ q timer.Queue }

func (h *heapQueue) Add(when int64, f func()) handle { return h.q.Add(when, f) }
func (h *heapQueue) Next() (int64, bool)             { return h.q.Next() }
func (h *heapQueue) Len() int                        { return h.q.Len() }
func (h *heapQueue) check() error                    { return h.q.CheckInvariants() }
func (h *heapQueue) Expire(now int64, run func(f func())) int {
	return h.q.Expire(now, run)
}

type wheelQueue struct{ w wheel }

func (w *wheelQueue) Add(when int64, f func()) handle { return w.w.add(when, f) }
func (w *wheelQueue) Next() (int64, bool)             { return w.w.next() }
func (w *wheelQueue) Len() int                        { return w.w.len() }
func (w *wheelQueue) Expire(now int64, run func(f func())) int {
	return w.w.expire(now, run)
}

func (w *wheelQueue) check() error {
	ww := &w.w
	n := 0
	for lvl := range ww.heads {
		for slot, head := range ww.heads[lvl] {
			bit := ww.occupied[lvl]&(1<<slot) != 0
			if (head != 0) != bit {
				return fmt.Errorf("level %d slot %d: list %v, bitmap %v", lvl, slot, head != 0, bit)
			}
			if head == 0 {
				continue
			}
			i := head - 1
			for {
				t := &ww.timers[i]
				if t.state != wPending || int(t.level) != lvl || int(t.slot) != slot || ww.timers[t.next].prev != i {
					return fmt.Errorf("level %d slot %d: bad link", lvl, slot)
				}
				n++
				if i = t.next; i == head-1 {
					break
				}
			}
		}
	}
	if n != ww.count {
		return fmt.Errorf("count %d, slots hold %d", ww.count, n)
	}
	inUse := 0
	for i := range ww.timers {
		if t := &ww.timers[i]; t.state != wFree {
			inUse++
		} else if t.f != nil || t.id != 0 {
			return fmt.Errorf("free timer %d keeps a func or an id", i)
		}
	}
	if inUse != ww.live {
		return fmt.Errorf("live %d, slab holds %d", ww.live, inUse)
	}
	return nil
}

var impls = []struct {
	name string
	new  func() queue
}{
	{"heap", func() queue { return new(heapQueue) }},
	{"wheel", func() queue { return new(wheelQueue) }},
}

// eachImpl runs a behaviour test against Queue and against the wheel.
func eachImpl(t *testing.T, f func(t *testing.T, q queue)) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			q := im.new()
			f(t, q)
			if err := q.check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// recorder collects the names of the callbacks that ran, in order.
type recorder struct{ got, last []string }

func (r *recorder) f(name string) func() {
	return func() { r.got = append(r.got, name) }
}

// take returns what ran since the last take and keeps it in last.
func (r *recorder) take() string {
	r.last = append(r.last[:0], r.got...)
	r.got = r.got[:0]
	return fmt.Sprint(r.last)
}
