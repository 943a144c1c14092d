//go:build unix

package echoclient_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/echoclient"
	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/internal/fdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve answers on fd with what answer makes of each message, until EOF.
func serve(fd, size int, answer func([]byte)) {
	buf := make([]byte, size)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil || n == 0 {
			return
		}
		answer(buf[:n])
		unix.Write(fd, buf[:n])
	}
}

func TestEcho(t *testing.T) {
	fdtest.Check(t)
	a, b, err := fds.SocketPair(false)
	if err != nil {
		t.Fatal(err)
	}
	defer fds.Close(a, b)
	done := make(chan struct{})
	go func() { defer close(done); serve(b, 64, func([]byte) {}) }()
	n, err := echoclient.Run(a, 100, 64)
	<-done // the client's shutdown ended the server
	if err != nil || n != 6400 {
		t.Fatalf("Run = %d, %v; want 6400, nil", n, err)
	}
}

// A wrong answer must fail the client, or the programs prove nothing.
func TestWrongAnswer(t *testing.T) {
	fdtest.Check(t)
	a, b, err := fds.SocketPair(false)
	if err != nil {
		t.Fatal(err)
	}
	defer fds.Close(a, b)
	done := make(chan struct{})
	go func() { defer close(done); serve(b, 64, func(m []byte) { m[0]++ }) }()
	_, err = echoclient.Run(a, 3, 64)
	unix.Shutdown(a, unix.SHUT_WR)
	<-done
	if err == nil || !strings.Contains(err.Error(), "came back as") {
		t.Fatalf("Run with a wrong answer = %v", err)
	}
}
