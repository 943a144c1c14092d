//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/internal/uring"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "registered:", err)
		os.Exit(1)
	}
}

const msgs, size = 64, 64

func run(w io.Writer) error {
	tx, rx, err := udpPair()
	if err != nil {
		return err
	}
	defer fds.Close(tx, rx)
	fmt.Fprintf(w, "%d datagrams of %d bytes over UDP on 127.0.0.1, three ways:\n", msgs, size)
	for _, way := range []struct {
		name string
		f    func(tx, rx int, out, in []byte) (calls int, err error)
	}{
		{"write(2) and read(2) per message", perMessage},
		{"sendmmsg(2) and recvmmsg(2)", batched},
		{"io_uring, registered sockets and buffers", registered},
	} {
		out, in := messages(), make([]byte, msgs*size)
		calls, err := way.f(tx, rx, out, in)
		if err != nil {
			return fmt.Errorf("%s: %w", way.name, err)
		}
		fmt.Fprintf(w, "  %s: %d system call%s, %d of %d messages received intact\n", way.name, calls, plural(calls), intact(in), msgs)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// perMessage moves each message with a system call of its own each way.
func perMessage(tx, rx int, out, in []byte) (calls int, err error) {
	for i := range msgs {
		if _, err := unix.Write(tx, out[i*size:(i+1)*size]); err != nil {
			return calls, err
		}
		calls++
	}
	for i := range msgs {
		if _, err := unix.Read(rx, in[i*size:(i+1)*size]); err != nil {
			return calls, err
		}
		calls++
	}
	return calls, nil
}

// batched moves all the messages with one sendmmsg and one recvmmsg,
// calling again only if the kernel took fewer.
func batched(tx, rx int, out, in []byte) (calls int, err error) {
	send, recv := vectors(out), vectors(in)
	for sent := 0; sent < msgs; calls++ {
		n, err := mmsg(unix.SYS_SENDMMSG, tx, send[sent:])
		if err != nil {
			return calls, err
		}
		sent += n
	}
	for got := 0; got < msgs; calls++ {
		n, err := mmsg(unix.SYS_RECVMMSG, rx, recv[got:])
		if err != nil {
			return calls, err
		}
		got += n
	}
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
	return calls, nil
}

// registered registers the two sockets and the two buffers with a ring,
// then submits every write and read and waits for them in one call.
func registered(tx, rx int, out, in []byte) (calls int, err error) {
	ring, err := uring.New(uring.Config{Entries: 2 * msgs})
	if err != nil {
		return 0, err
	}
	defer ring.Close()
	const txFile, rxFile = 0, 1 // indices in the registered file table
	const outBuf, inBuf = 0, 1  // and in the buffer table
	if err := ring.RegisterFiles([]int32{int32(tx), int32(rx)}); err != nil {
		return 0, err
	}
	if err := ring.RegisterBuffers([][]byte{out, in}); err != nil {
		return 0, err
	}
	for i := range msgs {
		sqe := ring.SQE()
		sqe.PrepWriteFixed(txFile, out[i*size:(i+1)*size], 0, outBuf)
		sqe.SetFlags(uring.SQEFixedFile)
	}
	for i := range msgs {
		sqe := ring.SQE()
		sqe.PrepReadFixed(rxFile, in[i*size:(i+1)*size], 0, inBuf)
		sqe.SetFlags(uring.SQEFixedFile)
	}
	if _, err := ring.SubmitAndWait(2 * msgs); err != nil {
		return 1, err
	}
	var failed error
	ring.Reap(func(c uring.CQE) {
		if c.Res != size && failed == nil {
			failed = fmt.Errorf("an operation completed with %d", c.Res)
		}
	})
	return 1, failed
}

// messages returns msgs messages of size bytes, each filled with its index.
func messages() []byte {
	b := make([]byte, msgs*size)
	for i := range b {
		b[i] = byte(i / size)
	}
	return b
}

// intact counts the messages of in that are whole and different from each
// other: datagrams keep their bounds, and none may be lost or repeated.
func intact(in []byte) int {
	seen := map[byte]bool{}
	for i := range msgs {
		m := in[i*size : (i+1)*size]
		whole := true
		for _, b := range m {
			whole = whole && b == m[0]
		}
		if whole && int(m[0]) < msgs && !seen[m[0]] {
			seen[m[0]] = true
		}
	}
	return len(seen)
}

// vectors describes buf as msgs messages for sendmmsg and recvmmsg.
func vectors(buf []byte) []unix.Mmsghdr {
	iovs := make([]unix.Iovec, msgs)
	hs := make([]unix.Mmsghdr, msgs)
	for i := range msgs {
		iovs[i].Base = &buf[i*size]
		iovs[i].SetLen(size)
		hs[i].Hdr.Iov = &iovs[i]
		hs[i].Hdr.SetIovlen(1)
	}
	return hs
}

// mmsg calls sendmmsg or recvmmsg (trap) on fd with hs.
func mmsg(trap uintptr, fd int, hs []unix.Mmsghdr) (int, error) {
	for {
		n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), 0, 0, 0)
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

// udpPair returns two non-blocking UDP sockets on 127.0.0.1 connected to
// each other.
func udpPair() (tx, rx int, err error) {
	var s [2]int
	var addrs [2]unix.Sockaddr
	for i := range s {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			fds.Close(s[:i]...)
			return -1, -1, os.NewSyscallError("socket", err)
		}
		s[i] = fd
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			fds.Close(s[:i+1]...)
			return -1, -1, os.NewSyscallError("bind", err)
		}
		if addrs[i], err = unix.Getsockname(fd); err != nil {
			fds.Close(s[:i+1]...)
			return -1, -1, os.NewSyscallError("getsockname", err)
		}
	}
	for i := range s {
		if err := unix.Connect(s[i], addrs[1-i]); err != nil {
			fds.Close(s[:]...)
			return -1, -1, os.NewSyscallError("connect", err)
		}
	}
	return s[0], s[1], nil
}
