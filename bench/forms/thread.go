//go:build linux

package main

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// runThread serves the load with blocking I/O: a goroutine per socket end,
// each blocking its OS thread in read(2) while it waits.
func runThread(ld *load) (func() error, error) {
	if err := ld.socketPairs(false); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*ld.pairs)
	for p, fds := range ld.fds {
		wg.Go(func() { errs <- echoBlocking(fds[1], ld.size) })
		if p < ld.active {
			wg.Go(func() { errs <- pingBlocking(ld, p, fds[0]) })
		}
	}
	return func() error {
		ld.stopping.Store(true) // the clients stop and shut down their side
		for _, fds := range ld.fds[ld.active:] {
			unix.Shutdown(fds[0], unix.SHUT_WR) // idle servers see end of file
		}
		wg.Wait()
		close(errs)
		ld.closeAll()
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return errors.Join(all...)
	}, nil
}

// echoBlocking writes back every message it reads on fd, until end of
// file.
func echoBlocking(fd, size int) error {
	buf := make([]byte, size)
	for {
		eof, err := readFull(fd, buf)
		if eof || err != nil {
			return err
		}
		if err := writeFull(fd, buf); err != nil {
			return err
		}
	}
}

// pingBlocking sends pair p's ping on fd and waits for the answer, until
// the load stops; then it shuts down its side for writing.
func pingBlocking(ld *load, p, fd int) error {
	msg, buf := ld.msg(p), make([]byte, ld.size)
	for !ld.stopping.Load() {
		if err := writeFull(fd, msg); err != nil {
			return err
		}
		if eof, err := readFull(fd, buf); err != nil || eof {
			return errors.Join(err, errEOF)
		}
		if err := ld.check(p, buf); err != nil {
			return err
		}
		ld.count()
	}
	return os.NewSyscallError("shutdown", unix.Shutdown(fd, unix.SHUT_WR))
}

// readFull fills b from a blocking fd; eof reports end of file before
// the first byte.
func readFull(fd int, b []byte) (eof bool, err error) {
	for got := 0; got < len(b); {
		n, err := unix.Read(fd, b[got:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("read", err)
		}
		if n == 0 {
			if got == 0 {
				return true, nil
			}
			return false, errEOF
		}
		got += n
	}
	return false, nil
}

// writeFull writes all of b to a blocking fd.
func writeFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		b = b[n:]
	}
	return nil
}
