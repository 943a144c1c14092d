//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/netpoll/poller"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "readiness:", err)
		os.Exit(1)
	}
}

const pipes = 256

// pipe is the handler of one registered pipe: it records its index when
// an event comes.
type pipe struct {
	i     int
	ready *[]int
}

func (p pipe) Ready(ev poller.Events) { *p.ready = append(*p.ready, p.i) }

func run(w io.Writer) error {
	p, err := poller.New()
	if err != nil {
		return err
	}
	defer p.Close()

	var ready []int
	rs, ws := make([]int, pipes), make([]int, pipes)
	for i := range pipes {
		r, wr, err := fds.Pipe(true)
		if err != nil {
			return err
		}
		defer fds.Close(r, wr)
		// Registered once; the kernel keeps the set (epoll's interest
		// list, kqueue's knotes), so a wait does not pass it in again.
		if err := p.Add(r, poller.Readable, pipe{i, &ready}); err != nil {
			return err
		}
		defer p.Remove(r) // before the fd is closed: deferred calls run last in, first out
		rs[i], ws[i] = r, wr
	}
	fmt.Fprintf(w, "%d pipes registered with %s\n", pipes, backend)

	wait := func(what string) error {
		ready = ready[:0]
		n, err := p.Wait(0, nil) // 0: do not block, report what is ready now
		if err != nil {
			return err
		}
		slices.Sort(ready)
		var names []string
		for _, i := range ready {
			names = append(names, fmt.Sprint("pipe ", i))
		}
		fmt.Fprintf(w, "%s: Wait returned %d event%s%s\n", what, n, plural(n), list(names))
		return nil
	}

	for _, i := range []int{3, 100, 200} {
		unix.Write(ws[i], []byte("x"))
	}
	if err := wait("wrote to 3 pipes"); err != nil {
		return err
	}
	if err := wait("nothing read, nothing new (edge-triggered)"); err != nil {
		return err
	}
	unix.Write(ws[3], []byte("y"))
	if err := wait("wrote to pipe 3 again: a new edge"); err != nil {
		return err
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func list(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}
