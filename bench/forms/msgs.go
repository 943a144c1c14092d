//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// A msgRunner prepares one way of moving a batch of small datagrams from
// tx to rx: round sends every message of out and receives them into in;
// release frees what the way set up.
type msgRunner func(b *batch) (round func() error, release func(), err error)

// batch is the msgs scenario's load: n messages of size bytes, out to
// send and in to receive into, over connected UDP sockets.
type batch struct {
	tx, rx, n, size int
	out, in         []byte
}

// startMsgs runs way batch after batch on a goroutine locked to its
// thread, until stop; ops counts the messages moved.
func startMsgs(way msgRunner, n, size int) (ops func() int64, stop func() error, err error) {
	tx, rx, err := udpPair()
	if err != nil {
		return nil, nil, err
	}
	b := &batch{tx: tx, rx: rx, n: n, size: size, out: make([]byte, n*size), in: make([]byte, n*size)}
	for i := range b.out {
		b.out[i] = byte(i / size)
	}
	var count atomic.Int64
	var stopping atomic.Bool
	ready, done := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		round, release, err := way(b)
		ready <- err
		if err != nil {
			return
		}
		defer release()
		for !stopping.Load() {
			clear(b.in)
			if err := round(); err != nil {
				done <- err
				return
			}
			if err := b.check(); err != nil {
				done <- err
				return
			}
			count.Add(int64(n))
		}
		done <- nil
	}()
	if err := <-ready; err != nil {
		closeFDs(tx, rx)
		return nil, nil, err
	}
	return count.Load, func() error {
		stopping.Store(true)
		err := <-done
		closeFDs(tx, rx)
		return err
	}, nil
}

func closeFDs(fds ...int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// check says whether in holds every message of out, whole: datagrams keep
// their bounds and their order on one socket over loopback.
func (b *batch) check() error {
	for i := range b.n {
		m := b.in[i*b.size : (i+1)*b.size]
		for _, c := range m {
			if c != byte(i) {
				return fmt.Errorf("message %d received as %x", i, m)
			}
		}
	}
	return nil
}

// msgSyscalls moves each message with a write(2) and a read(2).
func msgSyscalls(b *batch) (func() error, func(), error) {
	return func() error {
		for i := range b.n {
			if _, err := unix.Write(b.tx, b.out[i*b.size:(i+1)*b.size]); err != nil {
				return os.NewSyscallError("write", err)
			}
		}
		for i := range b.n {
			if _, err := unix.Read(b.rx, b.in[i*b.size:(i+1)*b.size]); err != nil {
				return os.NewSyscallError("read", err)
			}
		}
		return nil
	}, func() {}, nil
}

// msgMmsg moves a batch with one sendmmsg(2) and one recvmmsg(2), calling
// again only if the kernel took fewer.
func msgMmsg(b *batch) (func() error, func(), error) {
	send, recv := vectors(b.out, b.n, b.size), vectors(b.in, b.n, b.size)
	return func() error {
		for sent := 0; sent < b.n; {
			k, err := mmsg(unix.SYS_SENDMMSG, b.tx, send[sent:], 0)
			if err != nil {
				return err
			}
			sent += k
		}
		for got := 0; got < b.n; {
			k, err := mmsg(unix.SYS_RECVMMSG, b.rx, recv[got:], unix.MSG_WAITFORONE)
			if err != nil {
				return err
			}
			got += k
		}
		runtime.KeepAlive(b)
		return nil
	}, func() {}, nil
}

// msgURing moves a batch through io_uring: n writes and n reads, plain
// descriptors and buffers, submitted and awaited in one io_uring_enter.
func msgURing(b *batch) (func() error, func(), error) {
	return uringWay(b, false)
}

// msgURingReg is msgURing with both sockets and both buffers registered
// with the ring.
func msgURingReg(b *batch) (func() error, func(), error) {
	return uringWay(b, true)
}

func uringWay(b *batch, registered bool) (func() error, func(), error) {
	entries := uint32(1)
	for entries < uint32(2*b.n) {
		entries <<= 1
	}
	ring, err := uring.New(uring.Config{Entries: entries})
	if err != nil {
		return nil, nil, err
	}
	txFD, rxFD := b.tx, b.rx
	var flags uint8
	if registered {
		if err := ring.RegisterFiles([]int32{int32(b.tx), int32(b.rx)}); err != nil {
			ring.Close()
			return nil, nil, err
		}
		if err := ring.RegisterBuffers([][]byte{b.out, b.in}); err != nil {
			ring.Close()
			return nil, nil, err
		}
		txFD, rxFD, flags = 0, 1, uring.SQEFixedFile
	}
	return func() error {
		for i := range b.n {
			s := ring.SQE()
			if registered {
				s.PrepWriteFixed(txFD, b.out[i*b.size:(i+1)*b.size], 0, 0)
			} else {
				s.PrepWrite(txFD, b.out[i*b.size:(i+1)*b.size], 0)
			}
			s.SetFlags(flags)
		}
		for i := range b.n {
			s := ring.SQE()
			if registered {
				s.PrepReadFixed(rxFD, b.in[i*b.size:(i+1)*b.size], 0, 1)
			} else {
				s.PrepRead(rxFD, b.in[i*b.size:(i+1)*b.size], 0)
			}
			s.SetFlags(flags)
		}
		if _, err := ring.SubmitAndWait(uint32(2 * b.n)); err != nil {
			return err
		}
		var bad int32
		done := ring.Reap(func(c uring.CQE) {
			if int(c.Res) != b.size && bad == 0 {
				bad = c.Res
				if bad == 0 {
					bad = -1 << 30
				}
			}
		})
		if bad != 0 || done != 2*b.n {
			return fmt.Errorf("io_uring: %d of %d operations completed, one with %d", done, 2*b.n, bad)
		}
		return nil
	}, func() { ring.Close() }, nil
}

// vectors describes buf as n messages of size bytes for sendmmsg and
// recvmmsg.
func vectors(buf []byte, n, size int) []unix.Mmsghdr {
	iovs := make([]unix.Iovec, n)
	hs := make([]unix.Mmsghdr, n)
	for i := range n {
		iovs[i].Base = &buf[i*size]
		iovs[i].SetLen(size)
		hs[i].Hdr.Iov = &iovs[i]
		hs[i].Hdr.SetIovlen(1)
	}
	return hs
}

// mmsg calls sendmmsg or recvmmsg (trap) on fd with hs and flags.
func mmsg(trap uintptr, fd int, hs []unix.Mmsghdr, flags int) (int, error) {
	for {
		n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(flags), 0, 0)
		runtime.KeepAlive(hs)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0, os.NewSyscallError("mmsg", errno)
		}
		return int(n), nil
	}
}

// udpPair returns two blocking UDP sockets on 127.0.0.1 connected to each
// other: the data a round sends is queued at the receiver before the
// round reads it, so no read waits.
func udpPair() (tx, rx int, err error) {
	var s [2]int
	var addrs [2]unix.Sockaddr
	closeAll := func(n int) {
		for _, fd := range s[:n] {
			unix.Close(fd)
		}
	}
	for i := range s {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll(i)
			return -1, -1, os.NewSyscallError("socket", err)
		}
		s[i] = fd
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			closeAll(i + 1)
			return -1, -1, os.NewSyscallError("bind", err)
		}
		if addrs[i], err = unix.Getsockname(fd); err != nil {
			closeAll(i + 1)
			return -1, -1, os.NewSyscallError("getsockname", err)
		}
	}
	for i := range s {
		if err := unix.Connect(s[i], addrs[1-i]); err != nil {
			closeAll(2)
			return -1, -1, os.NewSyscallError("connect", err)
		}
	}
	return s[0], s[1], nil
}
