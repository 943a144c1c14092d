package timer_test

import (
	"cmp"
	"math/bits"
	"slices"
)

// wheel is the hierarchical timing wheel that lost to the 4-ary heap (see
// docs/timers.md). It lives in a test file so that the comparison in
// bench_test.go stays reproducible, and model_test.go checks it against the
// same model as Queue so that the benchmark compares two correct designs.
//
// Layout: 9 levels of 64 slots; a level-0 slot spans one tick of 1024 ns and
// each level spans 64 times the one below, so 10 + 9*6 = 64 bits cover every
// int64 deadline. Each slot is an intrusive circular list, and each level has
// a bitmap of non-empty slots. A timer sits at the level given by the highest
// bit in which its tick differs from the wheel's current tick, so all timers
// of level k are later than all timers of level k-1 and, within a level, sit
// at or after the current slot (no wrap-around to handle).
//
// Deadlines are stored exactly: the tick only chooses the slot. Expire sorts
// what it collects by (when, seq) and filters the current tick by the exact
// now, so the wheel gives the same order and precision as the heap, paid for
// with a sort per batch and a slot scan in Next.
//
// Timers live in a slab, as Queue's do (see slab.go), with the same handle
// semantics, so that neither design pays an allocation per Add and the
// benchmarks compare the data structures. The lists link slab indexes. Unlike
// Queue's, this slab never shrinks.
const (
	wheelTickShift = 10
	wheelLevelBits = 6
	wheelSlots     = 1 << wheelLevelBits
	wheelLevels    = 9
)

// wheelTimer is the wheel's handle: the same contract as timer.Timer.
type wheelTimer struct {
	w  *wheel
	i  uint32
	id uint64
}

type wslot struct {
	f          func()
	when       int64
	seq        uint64
	id         uint64 // 0 when free
	next, prev uint32 // circular list of a wheel slot; next links the free list
	state      uint8  // the same states as Queue's slots: free, pending, firing
	level      uint8
	slot       uint8
}

const (
	wFree uint8 = iota
	wPending
	wFiring
)

const none = ^uint32(0) // ends a chain taken out of a wheel slot

type wheel struct {
	heads    [wheelLevels][wheelSlots]uint32 // index+1 of a list's head, 0 if empty
	occupied [wheelLevels]uint64
	elapsed  uint64 // current tick; only moves forward
	seq      uint64
	count    int // timers in the lists

	timers []wslot
	free   uint32 // index+1, 0 if none
	live   int

	// Next caches the earliest deadline; a Stop or Reset of the timer that
	// holds it, or an Expire, invalidates the cache and Next rescans a slot.
	min   int64
	minOK bool

	batch    []uint32
	pos      int
	expiring bool
}

// tickOf maps a deadline to a tick with order preserved across the sign, so
// negative deadlines need no special case.
func tickOf(when int64) uint64 { return (uint64(when) ^ 1<<63) >> wheelTickShift }

func (w *wheel) add(when int64, f func()) wheelTimer {
	if f == nil {
		panic("timer: nil func")
	}
	if w.free == 0 {
		w.timers = append(w.timers, wslot{})
		w.free = uint32(len(w.timers))
	}
	i := w.free - 1
	w.free = w.timers[i].next
	w.live++
	w.seq++
	s := &w.timers[i]
	s.f, s.when, s.seq, s.id = f, when, w.seq, w.seq
	w.insert(i)
	return wheelTimer{w, i, w.seq}
}

func (w *wheel) release(i uint32) {
	s := &w.timers[i]
	s.f, s.id, s.state = nil, 0, wFree
	s.next = w.free
	w.free = i + 1
	w.live--
}

func (w *wheel) insert(i uint32) {
	t := &w.timers[i]
	tick := tickOf(t.when)
	if tick < w.elapsed {
		tick = w.elapsed // past deadline: the current slot, fired next Expire
	}
	lvl := (63 - bits.LeadingZeros64((tick^w.elapsed)|(wheelSlots-1))) / wheelLevelBits
	slot := (tick >> (lvl * wheelLevelBits)) & (wheelSlots - 1)
	t.state, t.level, t.slot = wPending, uint8(lvl), uint8(slot)
	if h := w.heads[lvl][slot]; h == 0 {
		t.next, t.prev = i, i
		w.heads[lvl][slot] = i + 1
		w.occupied[lvl] |= 1 << slot
	} else {
		head := h - 1
		tail := w.timers[head].prev
		w.timers[tail].next, t.prev = i, tail
		t.next, w.timers[head].prev = head, i
	}
	if w.count == 0 {
		w.min, w.minOK = t.when, true
	} else if w.minOK && t.when < w.min {
		w.min = t.when
	}
	w.count++
}

func (w *wheel) unlink(i uint32) {
	t := &w.timers[i]
	lvl, slot := t.level, t.slot
	if t.next == i {
		w.heads[lvl][slot] = 0
		w.occupied[lvl] &^= 1 << slot
	} else {
		w.timers[t.prev].next, w.timers[t.next].prev = t.next, t.prev
		if w.heads[lvl][slot] == i+1 {
			w.heads[lvl][slot] = t.next + 1
		}
	}
	w.count--
	if t.when == w.min {
		w.minOK = false
	}
}

// take empties a slot and returns its list as a chain ended by none, in
// insertion order. The caller accounts for every timer of the chain in count.
func (w *wheel) take(lvl, slot int) uint32 {
	head := w.heads[lvl][slot] - 1
	w.heads[lvl][slot] = 0
	w.occupied[lvl] &^= 1 << slot
	w.timers[w.timers[head].prev].next = none
	return head
}

// nextSlot finds the earliest non-empty slot and the tick it starts at.
func (w *wheel) nextSlot() (lvl, slot int, start uint64, ok bool) {
	for lvl = 0; lvl < wheelLevels; lvl++ {
		occ := w.occupied[lvl]
		if occ == 0 {
			continue
		}
		shift := uint(lvl * wheelLevelBits)
		cur := (w.elapsed >> shift) & (wheelSlots - 1)
		occ &^= 1<<cur - 1
		if occ == 0 {
			panic("wheel: timer behind the current slot")
		}
		slot = bits.TrailingZeros64(occ)
		base := w.elapsed &^ (1<<(shift+wheelLevelBits) - 1)
		return lvl, slot, base + uint64(slot)<<shift, true
	}
	return 0, 0, 0, false
}

func (w *wheel) next() (int64, bool) {
	if w.count == 0 {
		return 0, false
	}
	if !w.minOK {
		lvl, slot, _, _ := w.nextSlot()
		head := w.heads[lvl][slot] - 1
		m := w.timers[head].when
		for i := w.timers[head].next; i != head; i = w.timers[i].next {
			m = min(m, w.timers[i].when)
		}
		w.min, w.minOK = m, true
	}
	return w.min, true
}

func (w *wheel) len() int { return w.live }

func (w *wheel) expire(now int64, run func(f func())) int {
	if w.expiring {
		panic("timer: Expire called from a timer callback")
	}
	nowTick := max(tickOf(now), w.elapsed)
	batch := w.batch[:0]
	for {
		lvl, slot, start, ok := w.nextSlot()
		if !ok || start > nowTick {
			break
		}
		w.elapsed = start
		var next uint32
		for i := w.take(lvl, slot); i != none; i = next {
			t := &w.timers[i]
			next = t.next
			w.count--
			if lvl == 0 && t.when <= now {
				t.state = wFiring
				batch = append(batch, i)
			} else {
				w.insert(i) // cascade down, or back into the current tick
			}
		}
		if lvl == 0 && start == nowTick {
			break // what is left in the current tick is not due yet
		}
	}
	w.elapsed = nowTick
	if len(batch) == 0 {
		w.batch = batch
		return 0
	}
	w.minOK = false
	slices.SortFunc(batch, func(a, b uint32) int {
		ta, tb := &w.timers[a], &w.timers[b]
		if c := cmp.Compare(ta.when, tb.when); c != 0 {
			return c
		}
		return cmp.Compare(ta.seq, tb.seq)
	})

	w.expiring = true
	defer w.endExpire()
	w.batch, w.pos = batch, 0
	fired := 0
	for w.pos < len(w.batch) {
		i := w.batch[w.pos]
		w.pos++
		t := &w.timers[i]
		if t.state != wFiring {
			continue
		}
		f := t.f
		w.release(i)
		fired++
		if run == nil {
			f()
		} else {
			run(f)
		}
	}
	return fired
}

func (w *wheel) endExpire() {
	// Reinserting appends to slot lists; walking the sorted rest keeps the
	// original order among equal deadlines because their seq is kept.
	for _, i := range w.batch[w.pos:] {
		if w.timers[i].state == wFiring {
			w.insert(i)
		}
	}
	if cap(w.batch) > 4096 {
		w.batch = nil
	} else {
		w.batch = w.batch[:0]
	}
	w.pos, w.expiring = 0, false
}

func (t wheelTimer) live() *wslot {
	if t.w == nil {
		return nil
	}
	if s := &t.w.timers[t.i]; s.id == t.id {
		return s
	}
	return nil
}

func (t wheelTimer) Stop() bool {
	s := t.live()
	if s == nil {
		return false
	}
	if s.state == wPending {
		t.w.unlink(t.i)
	}
	t.w.release(t.i)
	return true
}

func (t wheelTimer) Reset(when int64) bool {
	s := t.live()
	if s == nil {
		return false
	}
	w := t.w
	if s.state == wPending {
		w.unlink(t.i)
	}
	w.seq++
	s.when, s.seq = when, w.seq
	w.insert(t.i)
	return true
}

func (t wheelTimer) When() int64 {
	if s := t.live(); s != nil {
		return s.when
	}
	return 0
}

func (t wheelTimer) Pending() bool { return t.live() != nil }
