//go:build linux

package fs

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dioAlign is what O_DIRECT asks of a file's I/O, from statx's
// STATX_DIOALIGN (Linux 6.1 and later): zero values mean unknown.
type dioAlign struct {
	Mem uint32 // alignment of the buffer's address
	Off uint32 // alignment of the file offset and of the length
}

// An AlignmentError reports an O_DIRECT read or write whose buffer
// address, offset or length is not aligned as the file system requires.
// It matches syscall.EINVAL with errors.Is, the errno the kernel returns
// for it. Use AlignedBuffer for buffers.
type AlignmentError struct {
	MemAlign uint32 // required address alignment; 0 if the kernel did not say
	OffAlign uint32 // required offset and length alignment; 0 if unknown
	Addr     uintptr
	Off      int64
	Len      int
}

func (e *AlignmentError) Error() string {
	if e.MemAlign == 0 {
		return fmt.Sprintf("O_DIRECT I/O refused (buffer address %#x, offset %d, length %d): "+
			"the address, offset and length must be aligned, usually to 512 or 4096 bytes; see fs.AlignedBuffer",
			e.Addr, e.Off, e.Len)
	}
	return fmt.Sprintf("O_DIRECT I/O needs the buffer address aligned to %d bytes and the offset and length to %d; "+
		"got address %#x, offset %d, length %d (see fs.AlignedBuffer)",
		e.MemAlign, e.OffAlign, e.Addr, e.Off, e.Len)
}

// Unwrap returns syscall.EINVAL.
func (e *AlignmentError) Unwrap() error { return unix.EINVAL }

// checkAlign refuses an O_DIRECT transfer that the file system would
// refuse, before it is submitted, naming what is wrong.
func (f *File) checkAlign(b []byte, off int64) error {
	a := f.align
	if !f.direct || a.Mem == 0 || a.Off == 0 || len(b) == 0 {
		return nil
	}
	addr := bufAddr(b)
	if addr%uintptr(a.Mem) == 0 && (off < 0 || off%int64(a.Off) == 0) && len(b)%int(a.Off) == 0 {
		return nil
	}
	return &AlignmentError{MemAlign: a.Mem, OffAlign: a.Off, Addr: addr, Off: off, Len: len(b)}
}

// AlignedBuffer returns a zeroed buffer of n bytes whose address is a
// multiple of 4096, which satisfies O_DIRECT on every common file system
// and device. Offsets and lengths must be aligned as well (File.ReadAt
// reports an *AlignmentError otherwise).
func AlignedBuffer(n int) []byte {
	const align = 4096
	b := make([]byte, n+align)
	skip := 0
	if r := uintptr(unsafe.Pointer(&b[0])) % align; r != 0 {
		skip = int(align - r)
	}
	return b[skip : skip+n : skip+n]
}
