//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "blocking:", err)
		os.Exit(1)
	}
}

const readers = 4

// reply is what one reader got.
type reply struct {
	i   int
	msg string
	err error
}

func run(w io.Writer) error {
	var rs, ws [readers]int
	for i := range readers {
		r, wr, err := fds.Pipe(false) // blocking: read(2) sleeps until data comes
		if err != nil {
			return err
		}
		defer fds.Close(r, wr)
		rs[i], ws[i] = r, wr
	}

	// One goroutine per request, each calling read(2) directly. Go's
	// own os.File would not block a thread here (it parks the goroutine
	// on Go's poller); a raw blocking read does, as in C.
	replies := make(chan reply, readers)
	for i := range readers {
		go func() {
			buf := make([]byte, 64)
			n, err := unix.Read(rs[i], buf)
			replies <- reply{i, string(buf[:max(n, 0)]), err}
		}()
	}

	threads, err := waitInRead(rs[:], 10*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d readers blocked in read(2): %d OS threads asleep in the kernel, one per reader\n", readers, threads)

	for i := range readers {
		if _, err := unix.Write(ws[i], []byte("request "+strconv.Itoa(i))); err != nil {
			return err
		}
	}
	got := make([]string, readers)
	for range readers {
		r := <-replies
		if r.err != nil {
			return fmt.Errorf("reader %d: %w", r.i, r.err)
		}
		got[r.i] = r.msg
	}
	for i, msg := range got {
		fmt.Fprintf(w, "reader %d woke with %q\n", i, msg)
	}
	fmt.Fprintf(w, "each wait held a thread: %d requests in flight need %d threads\n", readers, readers)
	return nil
}

// waitInRead waits until every fd in rfds has a thread of this process
// asleep in read(2) on it, and returns how many such threads there are.
// /proc/self/task/TID/syscall holds the number of the system call the
// thread is in and its arguments, the first being the fd.
func waitInRead(rfds []int, timeout time.Duration) (int, error) {
	want := map[string]bool{}
	for _, fd := range rfds {
		want[fmt.Sprintf("0x%x", fd)] = true
	}
	deadline := time.Now().Add(timeout)
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return 0, err
		}
		n := 0
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/syscall")
			if err != nil {
				continue // the thread has gone
			}
			f := strings.Fields(string(b))
			if len(f) > 1 && f[0] == strconv.Itoa(unix.SYS_READ) && want[f[1]] {
				n++
			}
		}
		if n == len(rfds) {
			return n, nil
		}
		if time.Now().After(deadline) {
			return 0, errors.New("the readers are not all in read(2) after " + timeout.String())
		}
		time.Sleep(time.Millisecond) // the readers are on their way into the kernel
	}
}
