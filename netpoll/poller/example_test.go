//go:build linux || darwin || freebsd || netbsd || openbsd

package poller_test

import (
	"fmt"
	"log"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/netpoll/poller"
)

// conn is what a loop would register: it learns that its fd is ready and
// reads until EAGAIN, as edge triggering requires.
type conn struct{ fd int }

func (c conn) Ready(ev poller.Events) {
	fmt.Println("ready:", ev)
	buf := make([]byte, 64)
	for {
		n, err := unix.Read(c.fd, buf)
		if err != nil || n == 0 {
			return // EAGAIN: drained; wait for the next edge
		}
		fmt.Printf("read %q\n", buf[:n])
	}
}

// A pipe becomes readable: Wait hands the event to the registered Handler.
func Example() {
	p, err := poller.New()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		log.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if err := unix.SetNonblock(fds[0], true); err != nil {
		log.Fatal(err)
	}

	if err := p.Add(fds[0], poller.Readable, conn{fds[0]}); err != nil {
		log.Fatal(err)
	}
	unix.Write(fds[1], []byte("hello"))

	n, err := p.Wait(-1, nil) // nil dispatch: call Ready directly
	fmt.Println("events:", n, err)

	// Remove before close, so no event for this number outlives the file.
	if err := p.Remove(fds[0]); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ready: Readable
	// read "hello"
	// events: 1 <nil>
}
