//go:build unix

package echoclient

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Run sends n messages of size bytes on fd, a blocking stream socket, one
// at a time, and reads each back before it sends the next; then it shuts
// down its side for writing, so that the server sees end of file. It
// returns the bytes echoed, or an error if an answer differs from its
// message.
func Run(fd, n, size int) (int, error) {
	msg, got := make([]byte, size), make([]byte, size)
	total := 0
	for i := range n {
		for j := range msg {
			msg[j] = byte(i + j)
		}
		if err := writeAll(fd, msg); err != nil {
			return total, err
		}
		if err := readFull(fd, got); err != nil {
			return total, err
		}
		if !bytes.Equal(got, msg) {
			return total, fmt.Errorf("message %d came back as %x", i, got)
		}
		total += size
	}
	if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil {
		return total, os.NewSyscallError("shutdown", err)
	}
	return total, nil
}

func writeAll(fd int, b []byte) error {
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

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("read", err)
		}
		if n == 0 {
			return fmt.Errorf("echo server closed early")
		}
		b = b[n:]
	}
	return nil
}
