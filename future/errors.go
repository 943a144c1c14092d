package future

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrCycle rejects a future that was resolved with itself, or with a
	// future that (through the futures it follows) is waiting for it: such
	// a future could never settle.
	ErrCycle = errors.New("future: resolved with itself or with a future that waits for it (cycle)")

	// ErrTimeout rejects the future Timeout returns when time runs out. It
	// wraps context.DeadlineExceeded, so errors.Is(err,
	// context.DeadlineExceeded) holds.
	ErrTimeout = fmt.Errorf("future: timed out: %w", context.DeadlineExceeded)

	// ErrEmpty rejects the future Race returns for an empty list: nothing
	// could ever win it (JavaScript's Promise.race leaves it pending
	// forever, a leak).
	ErrEmpty = errors.New("future: Race of no futures")

	// ErrChanClosed rejects the future FromChan returns when the channel is
	// closed before it delivers a value.
	ErrChanClosed = errors.New("future: channel closed without a value")

	// ErrOnLoop is returned by Wait when it is called from the goroutine
	// that runs the future's loop: waiting there would block the loop that
	// must settle the future.
	ErrOnLoop = errors.New("future: Wait called on the future's own loop (it would deadlock)")
)

// AnyError rejects the future Any returns when every input was rejected.
// Errs holds their errors in input order; errors.Is and errors.As look
// through all of them.
type AnyError struct {
	Errs []error
}

// Error lists the errors.
func (e *AnyError) Error() string {
	if len(e.Errs) == 0 {
		return "future: Any of no futures"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "future: all %d futures failed: ", len(e.Errs))
	for i, err := range e.Errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e *AnyError) Unwrap() []error { return e.Errs }
