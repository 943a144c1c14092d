//go:build linux

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// pollTimeout bounds each wait of the poll and epoll loops, in
// milliseconds, so that they see the load stop.
const pollTimeout = 50

// runPoll serves the load on one goroutine with a poll(2) loop: every
// call passes the whole set, and the kernel checks every member.
func runPoll(ld *load) (func() error, error) {
	if err := ld.socketPairs(true); err != nil {
		return nil, err
	}
	es := ld.ends()
	set := make([]unix.PollFd, len(es))
	for i, e := range es {
		set[i] = unix.PollFd{Fd: int32(e.fd), Events: unix.POLLIN}
	}
	if err := ld.kick(); err != nil {
		ld.closeAll()
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for !ld.stopping.Load() {
				_, err := unix.Poll(set, pollTimeout)
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					return os.NewSyscallError("poll", err)
				}
				for i := range set {
					if set[i].Revents == 0 {
						continue
					}
					if err := ld.serve(es[i], false); err != nil {
						return err
					}
				}
			}
			return nil
		}()
	}()
	return func() error {
		ld.stopping.Store(true)
		err := <-done
		ld.closeAll()
		return err
	}, nil
}

// runEpoll serves the load on one goroutine with epoll: the set is
// registered once (level-triggered), and each epoll_wait(2) returns only
// the sockets that are ready.
func runEpoll(ld *load) (func() error, error) {
	if err := ld.socketPairs(true); err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		ld.closeAll()
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	cleanup := func() {
		unix.Close(epfd)
		ld.closeAll()
	}
	es := ld.ends()
	for i, e := range es {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)} // Fd: the index in es
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, e.fd, &ev); err != nil {
			cleanup()
			return nil, os.NewSyscallError("epoll_ctl", err)
		}
	}
	if err := ld.kick(); err != nil {
		cleanup()
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			evs := make([]unix.EpollEvent, 256)
			for !ld.stopping.Load() {
				n, err := unix.EpollWait(epfd, evs, pollTimeout)
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					return os.NewSyscallError("epoll_wait", err)
				}
				for _, ev := range evs[:n] {
					if err := ld.serve(es[ev.Fd], false); err != nil {
						return err
					}
				}
			}
			return nil
		}()
	}()
	return func() error {
		ld.stopping.Store(true)
		err := <-done
		cleanup()
		return err
	}, nil
}
