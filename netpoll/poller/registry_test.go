package poller

import "testing"

// TestRegistry_Generations checks the stale-event rule at its source: an
// event recorded before any Add or Remove of its fd finds no handler.
func TestRegistry_Generations(t *testing.T) {
	var r registry
	h1, h2 := HandlerFunc(nil), HandlerFunc(nil)
	if !r.add(5, Readable, h1) {
		t.Fatal("first add refused")
	}
	if r.add(5, Readable, h2) {
		t.Fatal("second add of the same fd accepted")
	}
	g := r.gen(5)
	if r.handler(5, g) == nil {
		t.Fatal("current event found no handler")
	}
	if ev, ok := r.remove(5); !ok || ev != Readable {
		t.Fatalf("remove = %v, %v; want Readable, true", ev, ok)
	}
	if r.handler(5, g) != nil {
		t.Fatal("event recorded before Remove still dispatched")
	}
	if !r.add(5, Writable, h2) {
		t.Fatal("re-add after remove refused")
	}
	if r.handler(5, g) != nil {
		t.Fatal("event recorded before Remove+Add reached the new handler")
	}
	if _, ok := r.remove(5000); ok {
		t.Fatal("remove of an fd beyond the table succeeded")
	}
	if r.handler(-1, 0) != nil || r.handler(1<<20, 0) != nil || r.gen(1<<20) != 0 {
		t.Fatal("out-of-range fd found something")
	}
	if !r.add(1000, Readable, h1) || r.handler(1000, r.gen(1000)) == nil {
		t.Fatal("table did not grow")
	}
}
