//go:build linux || darwin || freebsd || netbsd || openbsd

package process

// UsePidfd reports whether children are watched through a pidfd.
func UsePidfd() bool { return usePidfd() }

// Watchers returns how many children of the loop of c are watched by
// SIGCHLD, and whether the loop is subscribed to it. On c's loop.
func Watchers(c *Cmd) (int, bool) { return c.ls.nopidfd, c.ls.chld != nil }

// Fd returns the pipe end's descriptor, for a test to tune the pipe.
func Fd(r *PipeReader) int { return r.fd }

// SetForkHook sets the hook Start's offload worker runs before (false) and
// after (true) its fork, and returns a function that removes it.
func SetForkHook(f func(after bool)) (restore func()) {
	forkHook.Store(&f)
	return func() { forkHook.Store(nil) }
}
