// Package gid tells goroutines apart, cheaply enough to check on every call
// that must come from a loop's own goroutine.
//
// Current returns a value that identifies the calling goroutine among the
// goroutines alive at that moment: two live goroutines never share it, and
// it stays the same for a goroutine's whole life. It may be reused once a
// goroutine has exited, so it answers "is this the goroutine that runs my
// loop right now?" and nothing about history.
//
// On amd64 and arm64 it is the address of the runtime's goroutine
// descriptor, read from where the Go ABI keeps it for every function (the
// thread-local slot on amd64, register R28 on arm64): two instructions, a
// few nanoseconds with the call (BenchmarkCurrent), and no dependency on
// the layout of any runtime structure. On other architectures it is the
// goroutine's number parsed from runtime.Stack, which is portable but
// costs microseconds. docs/loop.md ("Who is calling: OnLoop") has the
// measurements and the alternatives that were rejected.
package gid
