//go:build linux

package main

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
)

// runGoNet serves the load with Go's net package: net.Conns made from the
// socket pairs (net.FileConn), a goroutine per end, Go's poller under
// them. This is what a Go program does without weft.
func runGoNet(ld *load) (func() error, error) {
	if err := ld.socketPairs(false); err != nil {
		return nil, err
	}
	conns := make([][2]*net.UnixConn, ld.pairs)
	closeConns := func() {
		for _, cs := range conns {
			for _, c := range cs {
				if c != nil {
					c.Close()
				}
			}
		}
	}
	for p, fds := range ld.fds {
		for i, fd := range fds {
			c, err := net.FileConn(os.NewFile(uintptr(fd), "socketpair")) // a dup of fd, on Go's poller
			if err != nil {
				closeConns()
				ld.closeAll()
				return nil, err
			}
			conns[p][i] = c.(*net.UnixConn)
		}
	}
	ld.closeAll() // the conns hold dups
	var wg sync.WaitGroup
	errs := make(chan error, 2*ld.pairs)
	for p, cs := range conns {
		wg.Go(func() {
			buf := make([]byte, ld.size)
			for {
				if _, err := io.ReadFull(cs[1], buf); err != nil {
					if err != io.EOF {
						errs <- err
					}
					return
				}
				if _, err := cs[1].Write(buf); err != nil {
					errs <- err
					return
				}
			}
		})
		if p >= ld.active {
			continue
		}
		wg.Go(func() {
			msg, buf := ld.msg(p), make([]byte, ld.size)
			for !ld.stopping.Load() {
				if _, err := cs[0].Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(cs[0], buf); err != nil {
					errs <- err
					return
				}
				if err := ld.check(p, buf); err != nil {
					errs <- err
					return
				}
				ld.count()
			}
			errs <- cs[0].CloseWrite()
		})
	}
	return func() error {
		ld.stopping.Store(true)
		for _, cs := range conns[ld.active:] {
			cs[0].CloseWrite()
		}
		wg.Wait()
		closeConns()
		close(errs)
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return errors.Join(all...)
	}, nil
}
