package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// PrepStatx prepares statx(2) of the NUL-terminated path relative to dirfd
// (AT_EMPTY_PATH with an empty path: dirfd itself), with AT_* flags and
// STATX_* mask, into st. path and st must stay reachable until the CQE,
// and st must not be read before it (see SQE).
func (s *SQE) PrepStatx(dirfd int, path *byte, flags int, mask uint32, st *unix.Statx_t) {
	// The kernel reads the mask from len and the result's address from off
	// (addr2).
	s.prep(OpStatx, dirfd, ptrAddr(unsafe.Pointer(path)), mask, ptrAddr(unsafe.Pointer(st)))
	s.opFlags = uint32(flags)
}
