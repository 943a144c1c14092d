//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "selectpoll:", err)
		os.Exit(1)
	}
}

const pipes = 8

func run(w io.Writer) error {
	var rs, ws [pipes]int
	for i := range pipes {
		r, wr, err := fds.Pipe(true)
		if err != nil {
			return err
		}
		defer fds.Close(r, wr)
		rs[i], ws[i] = r, wr
	}
	set := make([]unix.PollFd, pipes)
	for i, fd := range rs {
		set[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}

	// One call over the whole set reports which members are ready.
	for _, i := range []int{2, 5, 7} {
		if _, err := unix.Write(ws[i], []byte("x")); err != nil {
			return err
		}
	}
	n, err := poll(set, 0)
	if err != nil {
		return err
	}
	var ready []string
	for i, p := range set {
		if p.Revents&unix.POLLIN != 0 {
			ready = append(ready, fmt.Sprint("pipe ", i))
			unix.Read(rs[i], make([]byte, 1))
		}
	}
	fmt.Fprintf(w, "poll(2) over %d pipes: %d ready: %s\n", pipes, n, strings.Join(ready, ", "))

	// A poll loop: 8 writers send 3 messages each; one thread serves
	// them all, waiting in poll(2) whenever nothing is ready.
	const each, size = 3, 64
	for i := range pipes {
		go func() {
			msg := make([]byte, size)
			for range each {
				for {
					_, err := unix.Write(ws[i], msg)
					if !errors.Is(err, unix.EAGAIN) {
						break
					}
				}
			}
		}()
	}
	got, calls, scanned := 0, 0, 0
	buf := make([]byte, 4096)
	for got < pipes*each*size {
		if _, err := poll(set, -1); err != nil {
			return err
		}
		calls++
		scanned += len(set) // the kernel checks every member on every call
		for i, p := range set {
			if p.Revents&(unix.POLLIN|unix.POLLHUP) == 0 {
				continue
			}
			n, err := unix.Read(rs[i], buf)
			if err != nil && !errors.Is(err, unix.EAGAIN) {
				return err
			}
			got += max(n, 0)
		}
	}
	fmt.Fprintf(w, "a poll loop on one thread served %d writers, %d bytes, in %d poll calls that checked %d descriptors\n",
		pipes, got, calls, scanned)
	return nil
}

// poll is poll(2) with EINTR retried.
func poll(set []unix.PollFd, timeout int) (int, error) {
	for {
		n, err := unix.Poll(set, timeout)
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
