//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/examples/forms/internal/fds"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/uring"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coprocessor:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	if err := pool(w); err != nil {
		return err
	}
	return kernelWorker(w)
}

// pool runs a blocking read on the offload pool while the loop ticks.
func pool(w io.Writer) error {
	r, wr, err := fds.Pipe(false) // blocking: the read sleeps in the kernel
	if err != nil {
		return err
	}
	defer fds.Close(r, wr)
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	err = fiber.Run(context.Background(), func(ctx context.Context) error {
		read := fiber.Go(ctx, func(ctx context.Context) (string, error) {
			return fiber.Blocking(ctx, func(context.Context) (string, error) {
				buf := make([]byte, 16)
				n, err := unix.Read(r, buf) // on a pool thread: the loop goes on
				return string(buf[:max(n, 0)]), err
			})
		})
		for tick := 1; tick <= 5; tick++ {
			if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			if tick < 5 {
				log("loop: tick %d", tick)
				continue
			}
			log("loop: tick %d, writing the byte the pool thread waits for", tick)
			if _, err := unix.Write(wr, []byte("x")); err != nil {
				return err
			}
		}
		got, err := fiber.Await(ctx, read)
		log("the blocking read on the offload pool returned %q", got)
		return err
	})
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return err
}

// kernelWorker posts a read with IOSQE_ASYNC and finds the kernel's worker
// thread that took it. (Finding the pipe empty, the worker leaves a poll
// behind that completes the read when data comes, rather than sleeping in
// it; a read of a regular file would keep it busy until done.)
func kernelWorker(w io.Writer) error {
	ring, err := uring.New(uring.Config{Entries: 4})
	if err != nil {
		return err
	}
	defer ring.Close()
	r, wr, err := fds.Pipe(false)
	if err != nil {
		return err
	}
	defer fds.Close(r, wr)

	buf := make([]byte, 16)
	sqe := ring.SQE()
	sqe.PrepRead(r, buf, 0)
	sqe.SetFlags(uring.SQEAsync) // straight to the kernel's worker threads
	if _, err := ring.Submit(); err != nil {
		return err
	}
	worker, err := findWorker(10 * time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "io_uring with IOSQE_ASYNC: the kernel handed the read to a worker thread it added to this process (%s)\n", worker)
	if _, err := unix.Write(wr, []byte("y")); err != nil {
		return err
	}
	if _, err := ring.SubmitAndWait(1); err != nil {
		return err
	}
	var res int32
	ring.Reap(func(c uring.CQE) { res = c.Res })
	fmt.Fprintf(w, "wrote to the pipe: the worker's read completed with %d byte, %q\n", res, buf[:max(res, 0)])
	return nil
}

// findWorker waits until this process has a thread named iou-wrk-<tid>,
// and returns its name without the thread id.
func findWorker(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return "", err
		}
		for _, t := range tasks {
			comm, _ := os.ReadFile("/proc/self/task/" + t.Name() + "/comm")
			if strings.HasPrefix(string(comm), "iou-wrk-") {
				return "iou-wrk-…", nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no io_uring worker thread after %v", timeout)
		}
		time.Sleep(time.Millisecond) // the kernel is starting it
	}
}
