package main

import (
	"testing"
	"time"

	"github.com/weftio/weft/examples/porting/internal/app"
	"github.com/weftio/weft/loop"
)

// The slow answer comes after the timeout and must be dropped: a caller
// told twice would count an item twice, or report a file twice. The run
// ends before that answer comes, so the report alone cannot tell; virtual
// time lets this test wait for it without waiting.
func TestLateAnswerIsDropped(t *testing.T) {
	l, err := loop.New(loop.WithVirtualTime(time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- l.Run() }()

	p := &pricer{l: l, prices: app.NewPrices(l)}
	var heard []string
	err = l.Post(func() {
		p.lookupWithin(app.SlowSKU, app.Timeout,
			func(int) { heard = append(heard, "price") },
			func(err error) { heard = append(heard, err.Error()) })
		l.AfterFunc(2*app.SlowLatency, l.Stop) // well after the late answer
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 || heard[0] != errTimeout.Error() {
		t.Fatalf("callbacks heard %q, want just the timeout", heard)
	}
}
