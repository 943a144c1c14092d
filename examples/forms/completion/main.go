//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/internal/uring"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "completion:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	dir, err := os.MkdirTemp("", "forms-completion")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ring, err := uring.New(uring.Config{Entries: 16})
	if err != nil {
		return err
	}
	defer ring.Close()

	if err := fileReads(w, ring, dir); err != nil {
		return err
	}
	if err := pipeRead(w, ring); err != nil {
		return err
	}
	return weftFiles(w, dir)
}

// fileReads posts eight reads of a file, one block each, and submits them
// and waits for all in one system call.
func fileReads(w io.Writer, ring *uring.Ring, dir string) error {
	const blocks, bs = 8, 4096
	name := filepath.Join(dir, "blocks")
	var data []byte
	for i := range blocks {
		data = append(data, bytes.Repeat([]byte{'a' + byte(i)}, bs)...)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()

	bufs := make([][]byte, blocks) // lent to the kernel until their completions
	for i := range blocks {
		bufs[i] = make([]byte, bs)
		sqe := ring.SQE()
		sqe.PrepRead(int(f.Fd()), bufs[i], uint64(i*bs))
		sqe.SetUserData(uint64(i))
	}
	if _, err := ring.SubmitAndWait(blocks); err != nil { // one io_uring_enter
		return err
	}
	good := 0
	n := ring.Reap(func(c uring.CQE) { // no system call: the CQ is shared memory
		i := c.UserData
		if c.Res == bs && bytes.Equal(bufs[i], data[i*bs:(i+1)*bs]) {
			good++
		}
	})
	fmt.Fprintf(w, "%d reads of 4 KiB posted, submitted and waited for in one io_uring_enter; %d completions reaped, %d buffers hold their block\n",
		blocks, n, good)
	return nil
}

// pipeRead posts a read on an empty pipe: the kernel holds it until data
// comes, and the ring's eventfd says when its completion is in.
func pipeRead(w io.Writer, ring *uring.Ring) error {
	r, wr, err := fds.Pipe(false)
	if err != nil {
		return err
	}
	defer fds.Close(r, wr)
	buf := make([]byte, 64)
	sqe := ring.SQE()
	sqe.PrepRead(r, buf, 0)
	sqe.SetUserData(1)
	if _, err := ring.Submit(); err != nil {
		return err
	}
	fmt.Fprintf(w, "read posted on an empty pipe: %d completions so far\n", ring.Reap(func(uring.CQE) {}))

	if _, err := unix.Write(wr, []byte("hello")); err != nil {
		return err
	}
	// A loop would have the eventfd in its poller; here one poll(2) waits.
	pfd := []unix.PollFd{{Fd: int32(ring.EventFD()), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(pfd, 10_000); err != unix.EINTR {
			break
		}
	}
	ring.DrainEventFD()
	var res int32 = -1
	ring.Reap(func(c uring.CQE) { res = c.Res })
	if res < 0 {
		return fmt.Errorf("pipe read: completion %d", res)
	}
	fmt.Fprintf(w, "wrote to the pipe: the eventfd fired and the completion came: %d bytes, %q\n", res, buf[:res])
	return nil
}

// weftFiles writes and reads back a file through weft's fs from a fiber:
// each call parks the fiber while the loop submits and reaps.
func weftFiles(w io.Writer, dir string) error {
	const size = 1 << 20
	data := bytes.Repeat([]byte("weft"), size/4)
	var backend fs.Backend
	var got []byte
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		// The completion queue, not the worker pool that fs falls back
		// to (WEFT_IO_URING=0): this fails at once without io_uring.
		if err := fs.Configure(fiber.Loop(ctx), fs.WithBackend(fs.IOUring)); err != nil {
			return err
		}
		name := filepath.Join(dir, "fs")
		f, err := fs.Create(ctx, name)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if backend, err = fs.BackendOf(fiber.Loop(ctx)); err != nil {
			return err
		}
		got, err = fs.ReadFile(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "weft fs (back-end %v): a fiber wrote %d bytes and read back %d, equal: %v\n", backend, len(data), len(got), bytes.Equal(got, data))
	return nil
}
