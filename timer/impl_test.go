package timer_test

import (
	"fmt"
	"testing"

	"github.com/weftio/weft/timer"
)

// queue is what the behaviour tests need from an implementation, so that the
// timing wheel kept for the benchmarks is held to the same contract as Queue.
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
	n := 0
	for lvl := range w.w.slots {
		for slot, head := range w.w.slots[lvl] {
			bit := w.w.occupied[lvl]&(1<<slot) != 0
			if (head != nil) != bit {
				return fmt.Errorf("level %d slot %d: list %v, bitmap %v", lvl, slot, head != nil, bit)
			}
			if head == nil {
				continue
			}
			t := head
			for {
				if t.state != wPending || int(t.level) != lvl || int(t.slot) != slot || t.next.prev != t {
					return fmt.Errorf("level %d slot %d: bad link", lvl, slot)
				}
				n++
				if t = t.next; t == head {
					break
				}
			}
		}
	}
	if n != w.w.count {
		return fmt.Errorf("count %d, slots hold %d", w.w.count, n)
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
