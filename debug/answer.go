package debug

import (
	"time"

	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/loop"
)

// AnswerWithin is how long Dump and Read wait for a loop to list its
// fibers before they call it unresponsive.
const AnswerWithin = 100 * time.Millisecond

// answer is what one loop said about its fibers.
type answer struct {
	fibers []loopdebug.FiberInfo
	ok     bool // false: the loop did not answer in time
}

// parked counts the fibers of a that are parked.
func (a answer) parked() int {
	n := 0
	for _, f := range a.fibers {
		if f.State == "parked" {
			n++
		}
	}
	return n
}

// askFibers asks every loop of entries for its fibers, all at once, and
// waits for the answers until AnswerWithin has passed.
func askFibers(entries []*loopdebug.Entry) []answer {
	out := make([]answer, len(entries))
	chans := make([]chan []loopdebug.FiberInfo, len(entries))
	for i, e := range entries {
		list := e.Fibers()
		if list == nil {
			out[i].ok = true // no fiber runtime on this loop: no fibers
			continue
		}
		l := e.Loop.(*loop.Loop)
		if l.OnLoop() {
			out[i] = answer{list(), true}
			continue
		}
		ch := make(chan []loopdebug.FiberInfo, 1) // the task never blocks, even late
		if l.Post(func() { ch <- list() }) == nil {
			chans[i] = ch
		}
	}
	timeout := time.NewTimer(AnswerWithin)
	defer timeout.Stop()
	for i, ch := range chans {
		if ch == nil {
			continue
		}
		select {
		case f := <-ch:
			out[i] = answer{f, true}
		case <-timeout.C:
			return out // the rest did not answer either
		}
	}
	return out
}
