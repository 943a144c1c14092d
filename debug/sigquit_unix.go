//go:build unix

package debug

import (
	"io"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// InstallSIGQUIT makes a SIGQUIT (Ctrl-\ in a terminal, kill -QUIT) write
// a Dump to w instead of ending the process, which is Go's default (with
// a dump of every goroutine). It returns stop, which restores the default
// and waits until the goroutine that waits for the signal is gone; call it
// before the program ends, or from a test's cleanup. A Dump's error is
// ignored: there is nobody to return it to. Dumps are written one at a
// time, from that goroutine.
//
// A program typically installs it at start, behind a flag or WEFT_DEBUG,
// and calls stop on the way out. While it is installed, Go's own
// goroutine dump on SIGQUIT is not available; SIGABRT still gives it.
func InstallSIGQUIT(w io.Writer) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGQUIT)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ch:
				_ = Dump(w)
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
			<-done
		})
	}
}
