//go:build darwin || freebsd || netbsd || openbsd

package netpoll

import "github.com/weftio/weft/loop"

// batcher is Linux's io_uring batching of reads and writes
// (batch_linux.go); elsewhere there is none, and WithIOUring does nothing.
type batcher struct{}

func newBatcher(*loop.Loop) *batcher       { return nil }
func (*batcher) close()                    {}
func (*batcher) read(batchee)              {}
func (*batcher) send(batchee, []byte) bool { return false }
func (*batcher) take(*sock) []byte         { return nil }
func (*batcher) pendingLen(*sock) int      { return 0 }
