package timer_test

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weftio/weft/timer"
)

var (
	seedFlag   = flag.Uint64("timer.seed", 0, "run the model test with this seed only")
	roundsFlag = flag.Int("timer.rounds", 40, "number of seeds the model test runs")
)

// model is the obviously correct reference: a flat list of timers scanned
// and sorted on every query.
type model struct {
	timers []*mtimer
	seq    uint64
	batch  []*mtimer // snapshot of the running Expire
}

type mtimer struct {
	id    int
	when  int64
	seq   uint64
	state uint8 // 0 dead (ran or stopped; for good), 1 pending, 2 firing
}

func (m *model) add(when int64) *mtimer {
	m.seq++
	t := &mtimer{id: len(m.timers), when: when, seq: m.seq, state: 1}
	m.timers = append(m.timers, t)
	return t
}

func (m *model) stop(t *mtimer) bool {
	was := t.state != 0
	t.state = 0
	return was
}

func (m *model) reset(t *mtimer, when int64) bool {
	if t.state == 0 {
		return false
	}
	m.seq++
	t.when, t.seq, t.state = when, m.seq, 1
	return true
}

func (m *model) when(t *mtimer) int64 {
	if t.state == 0 {
		return 0
	}
	return t.when
}

func (m *model) next() (int64, bool) {
	var best *mtimer
	for _, t := range m.timers {
		if t.state == 1 && (best == nil || t.when < best.when) {
			best = t
		}
	}
	if best == nil {
		return 0, false
	}
	return best.when, true
}

func (m *model) len() int {
	n := 0
	for _, t := range m.timers {
		if t.state != 0 {
			n++
		}
	}
	return n
}

func (m *model) startExpire(now int64) {
	m.batch = m.batch[:0]
	for _, t := range m.timers {
		if t.state == 1 && t.when <= now {
			t.state = 2
			m.batch = append(m.batch, t)
		}
	}
	slices.SortFunc(m.batch, func(a, b *mtimer) int {
		return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.seq, b.seq))
	})
}

// fire returns the timer the model expects to run next in the batch.
func (m *model) fire() *mtimer {
	for len(m.batch) > 0 {
		t := m.batch[0]
		m.batch = m.batch[1:]
		if t.state == 2 {
			t.state = 0
			return t
		}
	}
	return nil
}

// abort is what a panic does: the rest of the batch is pending again.
func (m *model) abort() {
	for _, t := range m.batch {
		if t.state == 2 {
			t.state = 1
		}
	}
	m.batch = nil
}

// TestModel drives an implementation and the model with the same random
// operations, including operations and panics from inside callbacks, and
// compares every answer and the exact order in which callbacks run.
func TestModel(t *testing.T) {
	seeds := make([]uint64, 0, *roundsFlag)
	if *seedFlag != 0 {
		seeds = append(seeds, *seedFlag)
	} else {
		for i := range *roundsFlag {
			seeds = append(seeds, uint64(i+1))
		}
	}
	run := func(t *testing.T, newQueue func() queue) {
		for _, seed := range seeds {
			if err := runModel(newQueue(), seed, 3000); err != nil {
				t.Fatalf("seed %d (rerun with -timer.seed=%d): %v", seed, seed, err)
			}
		}
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) { run(t, im.new) })
	}
	// Again with a tiny threshold, so that the heap and the slab shrink,
	// and the slab drains and cuts, all the time.
	t.Run("heap/shrinking", func(t *testing.T) {
		defer timer.SetShrinkAbove(8)()
		run(t, impls[0].new)
	})
}

func runModel(q queue, seed uint64, steps int) (err error) {
	rng := rand.New(rand.NewPCG(seed, 0x7469_6d65))
	var m model
	var handles []handle
	now := int64(rng.IntN(1 << 20))
	if rng.IntN(2) == 0 {
		now = -now // deadlines on both sides of zero
	}
	// Deadlines cluster near now so that equal deadlines and ties across
	// wheel ticks are common; a few are far away to exercise cascading.
	when := func() int64 {
		switch rng.IntN(10) {
		case 0:
			return now + rng.Int64N(1<<40)
		case 1:
			return now - rng.Int64N(5000)
		}
		return now + rng.Int64N(4)*700 - 700
	}
	var ran []int // ids in the order the implementation ran them
	var mutate func(inCallback bool)
	callback := func(id int) func() {
		return func() {
			ran = append(ran, id)
			want := m.fire()
			if err == nil && (want == nil || want.id != id) {
				err = fmt.Errorf("ran timer %d, model expected %v", id, want)
			}
			if rng.IntN(3) == 0 {
				mutate(true)
			}
			if rng.IntN(40) == 0 {
				panic(fmt.Sprint("callback ", id))
			}
		}
	}
	mutate = func(inCallback bool) {
		if len(handles) == 0 || rng.IntN(3) == 0 {
			w := when()
			h := q.Add(w, callback(len(handles)))
			m.add(w)
			handles = append(handles, h)
			return
		}
		// Half the time one of the latest handles, which are likely
		// live; otherwise any, most of them dead, their slots reused.
		i := rng.IntN(len(handles))
		if rng.IntN(2) == 0 {
			i = len(handles) - 1 - rng.IntN(min(len(handles), 16))
		}
		h, mt := handles[i], m.timers[i]
		switch rng.IntN(3) {
		case 0:
			if got, want := h.Stop(), m.stop(mt); got != want && err == nil {
				err = fmt.Errorf("Stop(%d) = %v, model %v (in callback %v)", i, got, want, inCallback)
			}
		case 1:
			w := when()
			if got, want := h.Reset(w), m.reset(mt, w); got != want && err == nil {
				err = fmt.Errorf("Reset(%d) = %v, model %v", i, got, want)
			}
		case 2:
			if h.Pending() != (mt.state != 0) || h.When() != m.when(mt) {
				if err == nil {
					err = fmt.Errorf("timer %d: Pending %v When %d, model state %d when %d",
						i, h.Pending(), h.When(), mt.state, m.when(mt))
				}
			}
		}
	}

	for step := 0; step < steps && err == nil; step++ {
		switch rng.IntN(4) {
		case 0:
			now += rng.Int64N(2000)
			m.startExpire(now)
			ran = ran[:0]
			var run func(func())
			if rng.IntN(2) == 0 {
				run = func(f func()) { f() }
			}
			n, panicked := expireCatch(q, now, run)
			if err != nil {
				return err
			}
			if panicked {
				m.abort()
			} else {
				if rest := m.fire(); rest != nil {
					return fmt.Errorf("Expire(%d) returned but model still expects timer %d", now, rest.id)
				}
				if n != len(ran) {
					return fmt.Errorf("Expire(%d) = %d, %d callbacks ran", now, n, len(ran))
				}
			}
		default:
			mutate(false)
		}
		if err != nil {
			return err
		}
		if got, want := q.Len(), m.len(); got != want {
			return fmt.Errorf("step %d: Len = %d, model %d", step, got, want)
		}
		gw, gok := q.Next()
		ww, wok := m.next()
		if gw != ww || gok != wok {
			return fmt.Errorf("step %d: Next = %d,%v, model %d,%v", step, gw, gok, ww, wok)
		}
		if e := q.check(); e != nil {
			return fmt.Errorf("step %d: %v", step, e)
		}
	}
	return err
}

func expireCatch(q queue, now int64, run func(func())) (n int, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return q.Expire(now, run), false
}
