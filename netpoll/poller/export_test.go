package poller

// WakeWrites returns how many wake write syscalls p has made.
func WakeWrites(p Poller) uint64 {
	return p.(interface{ wakeState() *waker }).wakeState().writes.Load()
}

// SetMillisecondWait, where the back-end has a millisecond fallback, forces
// it on or off for every poller and returns a function that restores the
// previous setting. It is nil elsewhere.
var SetMillisecondWait func(on bool) (restore func())

// BatchSize is how many events one Wait fetches at most.
const BatchSize = batchSize

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(Events)

func (f HandlerFunc) Ready(ev Events) { f(ev) }
