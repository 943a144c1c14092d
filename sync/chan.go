package sync

import "context"

// A Chan is a bounded first-in, first-out queue of values between the
// fibers of one loop, with the semantics of a Go channel: Send parks while
// the buffer is full, Recv parks while it is empty, Close ends the stream.
// With a capacity of 0 (the zero Chan) every Send waits for a Recv to take
// its value, a rendezvous. Make a buffered one with NewChan. Select waits
// on several Chans and futures at once.
//
// Senders and receivers are each served first in, first out, and a value
// goes straight from a sender to a parked receiver (or from a parked
// sender into the buffer slot a receiver frees), so values come out in the
// order their Sends began. Send on a closed Chan panics, as in Go, and so
// does a Send parked when Close is called. A Send and a Recv that do not
// wait cost about 20 ns together, a third of a buffered Go channel's
// (BenchmarkChan_Buffered). One that waits costs a switch to another
// fiber and back: a round trip between two fibers takes about 0.8 µs on
// a 2-core VM, level with two goroutines and Go channels in the rounds of
// docs/benchmarks.md (in an earlier run, 1.0 against 0.7 µs;
// BenchmarkChan_PingPong). None allocates once the Chan has had as many
// waiters at once before.
//
// A Chan is not a Go channel: it is loop state, for fibers of its loop,
// and a receive from a goroutine is a data race. Use a Go channel, or
// future.FromChan, between goroutines and loops.
type Chan[T any] struct {
	buf    []T // ring buffer of cap(buf) slots
	head   int // index of the oldest value in buf
	n      int // values in buf
	closed bool
	recvq  waitq[T] // parked in Recv: the buffer is empty
	sendq  waitq[T] // parked in Send: the buffer is full
}

// NewChan returns a Chan whose buffer holds capacity values. It panics if
// capacity is negative.
func NewChan[T any](capacity int) *Chan[T] {
	if capacity < 0 {
		panic("sync: NewChan with a negative capacity")
	}
	return &Chan[T]{buf: make([]T, capacity)}
}

// Send sends v, parking the calling fiber while the buffer is full (for a
// capacity of 0: until a receiver takes v). If v can go at once, Send
// sends it even if ctx is done.
//
// If ctx is done first, Send returns ctx.Err() and leaves c unchanged: v
// was not sent and no receiver will see it. Once a receiver has taken v,
// Send returns nil even if ctx is cancelled before the fiber runs. Send on
// a closed Chan panics, and so does a Send parked when the Chan is closed.
// Only a fiber may call Send when it has to wait.
func (c *Chan[T]) Send(ctx context.Context, v T) error {
	if c.trySend(v) {
		return nil
	}
	w := c.sendq.get()
	w.val = v
	err := c.sendq.park(ctx, "Chan.Send", w)
	sent := w.ok
	c.sendq.put(w)
	if err == nil && !sent {
		panic("sync: send on closed Chan")
	}
	return err
}

// Recv receives a value, parking the calling fiber while the buffer is
// empty and no sender waits. ok is false, with the zero value, once c is
// closed and drained. If a value (or the end) is there, Recv takes it at
// once, even if ctx is done.
//
// If ctx is done first, Recv returns ctx.Err() and leaves c unchanged: no
// value was taken. Once a sender has handed it a value, Recv returns it
// with a nil error even if ctx is cancelled before the fiber runs: the
// value is never lost. Only a fiber may call Recv when it has to wait.
func (c *Chan[T]) Recv(ctx context.Context) (v T, ok bool, err error) {
	if v, ok, done := c.tryRecv(); done {
		return v, ok, nil
	}
	w := c.recvq.get()
	err = c.recvq.park(ctx, "Chan.Recv", w)
	v, ok = w.val, w.ok
	c.recvq.put(w)
	if err != nil {
		var zero T
		return zero, false, err
	}
	return v, ok, nil
}

// TrySend sends v and reports true if it can go without waiting, and
// otherwise reports false. It panics if c is closed.
func (c *Chan[T]) TrySend(v T) bool { return c.trySend(v) }

// TryRecv receives a value and reports true if one is there without
// waiting, and otherwise reports false: the buffer is empty and no sender
// waits, or c is closed and drained (Select with a RecvCase tells the two
// apart).
func (c *Chan[T]) TryRecv() (v T, ok bool) {
	v, ok, _ = c.tryRecv()
	return v, ok
}

// Close closes c: receivers get the values still buffered, then the zero
// value and ok == false; parked receivers are woken with that at once (a
// receiver parks only when the buffer is empty). Fibers parked in Send are
// woken and panic, as later Sends do. Any code running on the loop may
// call Close; it never parks. Close of a closed Chan panics.
func (c *Chan[T]) Close() {
	if c.closed {
		panic("sync: Close of closed Chan")
	}
	c.closed = true
	c.recvq.wakeAll() // their ok stays false
	c.sendq.wakeAll() // so does theirs: they panic
}

// Len returns how many values are in the buffer.
func (c *Chan[T]) Len() int { return c.n }

// Cap returns the capacity of the buffer.
func (c *Chan[T]) Cap() int { return len(c.buf) }

// trySend moves v to the first parked receiver, or into the buffer, and
// reports whether it could.
func (c *Chan[T]) trySend(v T) bool {
	if c.closed {
		panic("sync: send on closed Chan")
	}
	if !c.recvq.empty() {
		if w := c.recvq.wakeFirst(); w != nil {
			w.val, w.ok = v, true
			return true
		}
	}
	if c.n < len(c.buf) {
		c.buf[c.slot(c.n)] = v
		c.n++
		return true
	}
	return false
}

// slot returns the index in buf of the i-th value from the oldest.
func (c *Chan[T]) slot(i int) int {
	if i += c.head; i >= len(c.buf) {
		i -= len(c.buf)
	}
	return i
}

// tryRecv takes the oldest value, from the buffer or from the first parked
// sender, and reports done; if c is closed and drained it reports done
// with ok false; otherwise it reports !done.
func (c *Chan[T]) tryRecv() (v T, ok, done bool) {
	if c.n > 0 {
		var zero T
		v, c.buf[c.head] = c.buf[c.head], zero
		c.head = c.slot(1)
		c.n--
		// The first parked sender's value takes the freed slot, behind
		// the others: it was sent after them.
		if !c.sendq.empty() {
			if w := c.sendq.wakeFirst(); w != nil {
				c.buf[c.slot(c.n)] = w.val
				c.n++
				w.ok = true
			}
		}
		return v, true, true
	}
	if !c.sendq.empty() {
		if w := c.sendq.wakeFirst(); w != nil { // no buffer: a rendezvous
			w.ok = true
			return w.val, true, true
		}
	}
	if c.closed {
		return v, false, true
	}
	return v, false, false
}
