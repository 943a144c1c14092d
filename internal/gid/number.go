package gid

// Number returns the calling goroutine's number, as runtime.Stack and
// panics print it ("goroutine 18 [running]:"). It costs microseconds (it
// formats the caller's stack): the stall detector calls it once per
// goroutine that runs a loop's code, to find that goroutine's stack in a
// dump of all of them.
func Number() int64 { return int64(slow()) }
