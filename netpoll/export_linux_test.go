package netpoll

import "github.com/weftio/weft/loop"

// BatchCounts returns l's batcher's counts (cycles, recvs, recvs into
// fibers' buffers, sends), all 0 if it has none, for tests. Loop
// goroutine only.
func BatchCounts(l *loop.Loop) (cycles, recvs, fiberRecvs, sends uint64) {
	v, ok := states.Load(l)
	if !ok {
		return
	}
	b := v.(*loopState).bat
	if b == nil {
		return
	}
	return b.cycles, b.recvs, b.fiberRecvs, b.sent
}
