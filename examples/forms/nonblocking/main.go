//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nonblocking:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	r, wr, err := fds.Pipe(true)
	if err != nil {
		return err
	}
	defer fds.Close(r, wr)
	buf := make([]byte, 4096)

	// Nothing to read: the call fails at once instead of sleeping.
	_, err = unix.Read(r, buf)
	if !errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("read of an empty pipe: %v, want EAGAIN", err)
	}
	fmt.Fprintf(w, "read of an empty pipe: EAGAIN (%v), at once\n", err)

	// Writes succeed until the kernel's buffer is full.
	filled := 0
	for {
		n, err := unix.Write(wr, buf)
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if err != nil {
			return err
		}
		filled += n
	}
	fmt.Fprintf(w, "write filled the pipe's buffer with %d bytes, then EAGAIN\n", filled)
	drained := 0
	for drained < filled {
		n, err := unix.Read(r, buf)
		if err != nil {
			return err
		}
		drained += n
	}

	// Polling: a slow writer sends three messages; the reader tries
	// again and again until each comes. Every failed try is a system
	// call that did nothing.
	const messages, size = 3, 64
	go func() {
		for range messages {
			time.Sleep(2 * time.Millisecond) // the writer's own pace
			unix.Write(wr, make([]byte, size))
		}
	}()
	got, tries, wasted := 0, 0, 0
	for got < messages*size {
		n, err := unix.Read(r, buf[:size])
		tries++
		if errors.Is(err, unix.EAGAIN) {
			wasted++
			runtime.Gosched() // a polite busy loop is still a busy loop
			continue
		}
		if err != nil {
			return err
		}
		got += n
	}
	fmt.Fprintf(w, "polled for %d messages (%d bytes): %d reads, %d of them EAGAIN\n", messages, got, tries, wasted)
	return nil
}
