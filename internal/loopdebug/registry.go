package loopdebug

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// An Entry is one live loop in the registry. Package loop makes it in New
// and removes it when the loop is released; package fiber attaches its
// view of the loop's fibers.
type Entry struct {
	// ID is the loop's number (loop.ID), unique in the process.
	ID uint64
	// Loop is the *loop.Loop, as an any: this package sits below loop.
	Loop any
	// Watch is the loop's stall-watch state, nil without the detector.
	Watch *Watch

	mu     sync.Mutex
	fibers func() []FiberInfo
}

// A FiberInfo is one row of a dump: a live fiber as its loop sees it.
type FiberInfo struct {
	ID     uint64 // the fiber's number on its loop, from 1
	Parent uint64 // the fiber that spawned it, 0 if none (a task) or unknown
	Name   string // its function
	State  string // "ready", "running" or "parked"
	// What is what a parked fiber waits in ("Await", "Sleep",
	// "Mutex.Lock"); empty otherwise.
	What string
	// The rest is known only in debug mode: how long the fiber has been
	// parked (on its loop's clock), where it parked, where the future it
	// awaits was made, and where it was spawned.
	For     time.Duration
	WaitAt  string
	Awaits  string
	Spawned string
}

// SetFibers sets the function that lists e's loop's fibers. It runs on the
// loop (the caller posts it there) and must not be called elsewhere; nil
// removes it. Package fiber sets it for the loops it drives.
func (e *Entry) SetFibers(f func() []FiberInfo) {
	e.mu.Lock()
	e.fibers = f
	e.mu.Unlock()
}

// Fibers returns the function set by SetFibers, nil if none.
func (e *Entry) Fibers() func() []FiberInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fibers
}

var registry struct {
	mu    sync.Mutex
	byKey map[any]*Entry
}

// Register adds e, for the loop e.Loop.
func Register(e *Entry) {
	registry.mu.Lock()
	if registry.byKey == nil {
		registry.byKey = make(map[any]*Entry)
	}
	registry.byKey[e.Loop] = e
	registry.mu.Unlock()
}

// Unregister removes the entry of loop l.
func Unregister(l any) {
	registry.mu.Lock()
	delete(registry.byKey, l)
	registry.mu.Unlock()
}

// Lookup returns the entry of loop l, nil if l is not registered (it was
// released).
func Lookup(l any) *Entry {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.byKey[l]
}

// Entries returns every registered loop's entry, by ID.
func Entries() []*Entry {
	registry.mu.Lock()
	out := make([]*Entry, 0, len(registry.byKey))
	for _, e := range registry.byKey {
		out = append(out, e)
	}
	registry.mu.Unlock()
	slices.SortFunc(out, func(a, b *Entry) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
