package uring_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// Example reads a file the way a loop does: prepare and submit, wait for
// the eventfd, drain it, reap.
func Example() {
	dir, err := os.MkdirTemp("", "uring-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "greeting")
	if err := os.WriteFile(path, []byte("hello, ring"), 0o600); err != nil {
		log.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 64) // on the heap, and kept until its CQE

	r, err := uring.New(uring.Config{Entries: 8})
	if errors.Is(err, errors.ErrUnsupported) {
		// No io_uring here: do what the ring would have done, blocking.
		n, _ := unix.Pread(fd, buf, 0)
		fmt.Printf("read %q\n", buf[:n])
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	s := r.SQE()
	s.PrepRead(fd, buf, 0)
	s.SetUserData(1)
	if _, err := r.Submit(); err != nil {
		log.Fatal(err)
	}

	// A loop waits in its poller; poll(2) stands in for it.
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(r.EventFD()), Events: unix.POLLIN}}, -1)
		if err != unix.EINTR {
			break
		}
	}
	r.DrainEventFD()
	r.Reap(func(c uring.CQE) {
		if c.Res < 0 {
			log.Fatal(unix.Errno(-c.Res))
		}
		fmt.Printf("read %q\n", buf[:c.Res])
	})
	// Output: read "hello, ring"
}
