package gid

import "runtime"

// slow returns the calling goroutine's number as runtime.Stack prints it in
// the first line of a trace ("goroutine 18 [running]:"). It is the portable
// way and the reference the fast version is tested against.
func slow() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		panic("gid: unexpected runtime.Stack output")
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	if id == 0 {
		panic("gid: unexpected runtime.Stack output")
	}
	return id
}
