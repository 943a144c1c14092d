//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"testing"
	"unsafe"
)

// The fiber face's memory per idle connection is level with package net's
// only while a Conn fits the 160-byte size class, and the callback face's
// stays under 600 bytes with an EventConn in the 176-byte one
// (docs/netpoll.md): a field that pushes either past its class costs
// every connection 16 bytes or more.
func TestSizes(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 160 {
		t.Errorf("Conn is %d bytes, past the 160-byte size class", n)
	}
	if n := unsafe.Sizeof(EventConn{}); n > 176 {
		t.Errorf("EventConn is %d bytes, past the 176-byte size class", n)
	}
}
