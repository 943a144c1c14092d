//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// What both faces share for WithIOUring's batching (batch_linux.go, where
// the batcher is; elsewhere it is a stub that never takes anything).

// A batchee is a connection whose reads and writes a batcher makes: an
// EventConn, or a Conn whose fiber waits in Read.
type batchee interface {
	sk() *sock
	readQueued() *bool // set while in the batcher's read queue
	// wantsRead reports whether a recv is still wanted when its cycle
	// comes, and recvBuf where it goes (nil: the batcher's own buffer);
	// skipRead is told when it is not.
	wantsRead() bool
	recvBuf() []byte
	skipRead()
	// received and sent take a recv's and a send's result: a count, or
	// minus an errno, or notSubmitted. sent must run no handler code.
	received(buf []byte, res int32)
	sent(p []byte, res int32)
}

// notSubmitted is the result sent and received are given for an operation
// the kernel did not take (batcher): a value no system call returns.
const notSubmitted = -1 << 30

// sysResult turns a batched operation's result into what its system call
// would have returned, so that both paths share one way of handling it.
// notSubmitted reads as EINTR: try again, the plain way.
func sysResult(res int32) (int, error) {
	switch {
	case res == notSubmitted:
		return 0, unix.EINTR
	case res < 0:
		return 0, unix.Errno(-res)
	}
	return int(res), nil
}

func (s *sock) sk() *sock { return s }

// batchWrite hands b to the loop's batcher, copied, when a write may go
// there: nothing is queued or waiting, the kernel took the last write
// whole, b is small enough (batcher.send), and the batched bytes stay
// under the high watermark. It reports whether it did. Bytes in the batch
// therefore never pause reading or park a writer: only the queue does,
// and its draining (write readiness) is what resumes them.
func (s *sock) batchWrite(c batchee, b []byte) bool {
	return len(b) > 0 && s.canWrite && s.head == len(s.out) && len(s.pending) == 0 &&
		s.queued()+len(b) < s.o.highWater && s.ls.bat.send(c, b)
}

// sentRest takes a batched send's result res (bytes sent of p, or minus
// an errno): what the kernel did not take is written the plain way or
// queued, as a write-through would have left it. An error means the
// connection is broken. Loop goroutine only.
func (s *sock) sentRest(p []byte, res int32) error {
	if s.gone {
		return nil
	}
	n, err := sysResult(res)
	switch {
	case err == unix.EINTR:
	case err == unix.EAGAIN:
		s.canWrite = false
	case err != nil:
		return os.NewSyscallError("write", err)
	case n < len(p):
		s.canWrite = false // the socket buffer is full: wait for an edge
	}
	if n < len(p) {
		if _, err := s.offer(p[n:], true); err != nil {
			return err
		}
	}
	return nil
}

// readQueued, recvBuf and skipRead complete EventConn's batchee.
func (c *EventConn) readQueued() *bool { return &c.readQ }
func (c *EventConn) recvBuf() []byte   { return nil }
func (c *EventConn) skipRead()         {}
