//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"time"

	"github.com/weftio/weft/loop"
)

// loopTimeout returns a context cancelled with context.DeadlineExceeded
// after d on l's clock (virtual time included), unlike context.WithTimeout,
// which runs on Go's timers. Loop goroutine only; cancel must be called.
func loopTimeout(parent context.Context, l *loop.Loop, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	t := l.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return &causeCtx{ctx}, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// causeCtx reports its cause as its error, so a loop timeout reads as
// context.DeadlineExceeded.
type causeCtx struct{ context.Context }

func (c *causeCtx) Err() error {
	if c.Context.Err() == nil {
		return nil
	}
	return context.Cause(c.Context)
}
