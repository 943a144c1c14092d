//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package poller

import (
	"errors"
	"fmt"
	"runtime"
)

// New reports that this system has no supported readiness poller.
func New() (Poller, error) {
	return nil, fmt.Errorf("poller: no epoll or kqueue back-end for %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// NewBlocking reports what New does.
func NewBlocking() (Poller, error) { return New() }
