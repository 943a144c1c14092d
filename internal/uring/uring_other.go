//go:build !linux

package uring

import "errors"

// errNotLinux is every error here: io_uring is Linux's.
var errNotLinux = &unsupportedError{errors.New("io_uring is Linux-only")}

// Ring is io_uring's ring. New never returns one on this system, so the
// methods below are never called on a Ring; they exist so that portable
// code compiles.
type Ring struct{}

// New returns an error that matches errors.ErrUnsupported.
func New(cfg Config) (*Ring, error) { return nil, errNotLinux }

func probeAvailable() error { return errNotLinux }

// EventFD returns -1.
func (r *Ring) EventFD() int { return -1 }

// Supports returns false.
func (r *Ring) Supports(op uint8) bool { return false }

// SQE returns nil.
func (r *Ring) SQE() *SQE { return nil }

// Queued returns 0.
func (r *Ring) Queued() int { return 0 }

// Submit returns an error that matches errors.ErrUnsupported.
func (r *Ring) Submit() (int, error) { return 0, errNotLinux }

// SubmitNoSleep returns an error that matches errors.ErrUnsupported.
func (r *Ring) SubmitNoSleep() (int, error) { return 0, errNotLinux }

// Withdraw takes back unsubmitted SQEs; there are none.
func (r *Ring) Withdraw() int { return 0 }

// SubmitAndWait returns an error that matches errors.ErrUnsupported.
func (r *Ring) SubmitAndWait(n uint32) (int, error) { return 0, errNotLinux }

// Reap returns 0.
func (r *Ring) Reap(f func(c CQE)) int { return 0 }

// DrainEventFD does nothing.
func (r *Ring) DrainEventFD() {}

// Close returns an error that matches os.ErrClosed.
func (r *Ring) Close() error { return errClosed }

// RegisterFiles returns an error that matches errors.ErrUnsupported.
func (r *Ring) RegisterFiles(fds []int32) error { return errNotLinux }

// UnregisterFiles returns an error that matches errors.ErrUnsupported.
func (r *Ring) UnregisterFiles() error { return errNotLinux }

// RegisterBuffers returns an error that matches errors.ErrUnsupported.
func (r *Ring) RegisterBuffers(bufs [][]byte) error { return errNotLinux }

// UnregisterBuffers returns an error that matches errors.ErrUnsupported.
func (r *Ring) UnregisterBuffers() error { return errNotLinux }
