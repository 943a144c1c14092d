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
const (
	wheelTickShift = 10
	wheelLevelBits = 6
	wheelSlots     = 1 << wheelLevelBits
	wheelLevels    = 9
)

type wheelTimer struct {
	w          *wheel
	f          func()
	when       int64
	seq        uint64
	next, prev *wheelTimer
	state      uint8 // the same states as timer.Timer: idle, pending, firing
	level      uint8
	slot       uint8
}

const (
	wIdle uint8 = iota
	wPending
	wFiring
)

type wheel struct {
	slots    [wheelLevels][wheelSlots]*wheelTimer
	occupied [wheelLevels]uint64
	elapsed  uint64 // current tick; only moves forward
	seq      uint64
	count    int // timers in the slots

	// Next caches the earliest deadline; a Stop or Reset of the timer that
	// holds it, or an Expire, invalidates the cache and Next rescans a slot.
	min   int64
	minOK bool

	batch    []*wheelTimer
	pos      int
	nfiring  int
	expiring bool
}

// tickOf maps a deadline to a tick with order preserved across the sign, so
// negative deadlines need no special case.
func tickOf(when int64) uint64 { return (uint64(when) ^ 1<<63) >> wheelTickShift }

func (w *wheel) add(when int64, f func()) *wheelTimer {
	if f == nil {
		panic("timer: nil func")
	}
	w.seq++
	t := &wheelTimer{w: w, f: f, when: when, seq: w.seq}
	w.insert(t)
	return t
}

func (w *wheel) insert(t *wheelTimer) {
	tick := tickOf(t.when)
	if tick < w.elapsed {
		tick = w.elapsed // past deadline: the current slot, fired next Expire
	}
	lvl := (63 - bits.LeadingZeros64((tick^w.elapsed)|(wheelSlots-1))) / wheelLevelBits
	slot := (tick >> (lvl * wheelLevelBits)) & (wheelSlots - 1)
	t.state, t.level, t.slot = wPending, uint8(lvl), uint8(slot)
	head := w.slots[lvl][slot]
	if head == nil {
		t.next, t.prev = t, t
		w.slots[lvl][slot] = t
		w.occupied[lvl] |= 1 << slot
	} else {
		tail := head.prev
		tail.next, t.prev = t, tail
		t.next, head.prev = head, t
	}
	if w.count == 0 {
		w.min, w.minOK = t.when, true
	} else if w.minOK && t.when < w.min {
		w.min = t.when
	}
	w.count++
}

func (w *wheel) unlink(t *wheelTimer) {
	lvl, slot := t.level, t.slot
	if t.next == t {
		w.slots[lvl][slot] = nil
		w.occupied[lvl] &^= 1 << slot
	} else {
		t.prev.next, t.next.prev = t.next, t.prev
		if w.slots[lvl][slot] == t {
			w.slots[lvl][slot] = t.next
		}
	}
	t.next, t.prev = nil, nil
	w.count--
	if t.when == w.min {
		w.minOK = false
	}
}

// take empties a slot and returns its list as a nil-terminated chain in
// insertion order. The caller accounts for every timer of the chain in count.
func (w *wheel) take(lvl, slot int) *wheelTimer {
	head := w.slots[lvl][slot]
	w.slots[lvl][slot] = nil
	w.occupied[lvl] &^= 1 << slot
	head.prev.next = nil
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
		head := w.slots[lvl][slot]
		m := head.when
		for t := head.next; t != head; t = t.next {
			m = min(m, t.when)
		}
		w.min, w.minOK = m, true
	}
	return w.min, true
}

func (w *wheel) len() int { return w.count + w.nfiring }

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
		var next *wheelTimer
		for t := w.take(lvl, slot); t != nil; t = next {
			next = t.next
			w.count--
			if lvl == 0 && t.when <= now {
				t.state = wFiring
				t.next, t.prev = nil, nil
				batch = append(batch, t)
			} else {
				w.insert(t) // cascade down, or back into the current tick
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
	slices.SortFunc(batch, func(a, b *wheelTimer) int {
		if c := cmp.Compare(a.when, b.when); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})

	w.expiring = true
	defer w.endExpire()
	w.batch, w.pos, w.nfiring = batch, 0, len(batch)
	fired := 0
	for w.pos < len(w.batch) {
		t := w.batch[w.pos]
		w.pos++
		if t.state != wFiring {
			continue
		}
		t.state = wIdle
		w.nfiring--
		fired++
		if run == nil {
			t.f()
		} else {
			run(t.f)
		}
	}
	return fired
}

func (w *wheel) endExpire() {
	rest := w.batch[w.pos:]
	// Reinserting appends to slot lists; walking the sorted rest keeps the
	// original order among equal deadlines because their seq is kept.
	for _, t := range rest {
		if t.state == wFiring {
			w.insert(t)
		}
	}
	clear(w.batch)
	if cap(w.batch) > 4096 {
		w.batch = nil
	} else {
		w.batch = w.batch[:0]
	}
	w.pos, w.nfiring, w.expiring = 0, 0, false
}

func (t *wheelTimer) Stop() bool {
	switch t.state {
	case wPending:
		t.w.unlink(t)
	case wFiring:
		t.w.nfiring--
	default:
		return false
	}
	t.state = wIdle
	return true
}

func (t *wheelTimer) Reset(when int64) bool {
	w := t.w
	was := t.state
	switch was {
	case wPending:
		w.unlink(t)
	case wFiring:
		w.nfiring--
	}
	w.seq++
	t.when, t.seq = when, w.seq
	w.insert(t)
	return was != wIdle
}

func (t *wheelTimer) When() int64   { return t.when }
func (t *wheelTimer) Pending() bool { return t.state != wIdle }
