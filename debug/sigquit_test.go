//go:build unix

package debug_test

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/internal/looptest"
)

// chanWriter hands each Write to a channel.
type chanWriter chan string

func (w chanWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func TestInstallSIGQUIT_WritesADump(t *testing.T) {
	w := make(chanWriter, 1)
	stop := debug.InstallSIGQUIT(w)
	defer stop()
	var id uint64
	runParkedScene(t, func(s *parkedScene) {
		id = s.loop.ID()
		if err := unix.Kill(unix.Getpid(), unix.SIGQUIT); err != nil {
			t.Error(err)
			return
		}
		dump := looptest.Recv(t, w, "a dump after SIGQUIT")
		if sect := loopSection(t, dump, id); !strings.Contains(sect, "\t4 fibers, 4 parked:") {
			t.Errorf("dump:\n%s", dump)
		}
	})
	stop()
	stop() // a second stop does nothing
}
