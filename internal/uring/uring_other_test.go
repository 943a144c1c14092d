//go:build !linux

package uring_test

import (
	"errors"
	"testing"

	"github.com/weftio/weft/internal/uring"
)

func TestNew_unsupported(t *testing.T) {
	if r, err := uring.New(uring.Config{}); r != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("New() = %v, %v, want an error matching errors.ErrUnsupported", r, err)
	}
	if err := uring.Available(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Available() = %v, want an error matching errors.ErrUnsupported", err)
	}
}
