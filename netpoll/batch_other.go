//go:build darwin || freebsd || netbsd || openbsd

package netpoll

import "github.com/weftio/weft/loop"

// batcher is Linux's io_uring batching of callback-face reads and writes
// (batch_linux.go); elsewhere there is none, and WithIOUring does nothing.
type batcher struct{}

func newBatcher(*loop.Loop) *batcher          { return nil }
func (*batcher) close()                       {}
func (*batcher) read(*EventConn)              {}
func (*batcher) send(*EventConn, []byte) bool { return false }
func (*batcher) take(*sock) []byte            { return nil }
func (*batcher) pendingLen(*sock) int         { return 0 }
