//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/process"
)

// ticks is how many times a test waits for a timer while a child floods
// its output: the loop goes on serving its timers.
const ticks = 20

// floodArgs is a child that writes as fast as it can, for ever.
var floodArgs = []string{"yes", "weft weft weft weft weft weft weft weft"}

// A child that floods its stdout, read by the callback face, does not
// keep the loop from its timers: a timer armed in the middle of the flood
// (inside Data) fires after at most two rounds of reads (16 reads of 64
// KiB each), whatever the speed of the machine, and the flood goes on.
// Without the bound, the reader would read for as long as the child
// writes, and the timer would never fire.
func TestFloodCallback(t *testing.T) {
	fdtest.Check(t)
	l := looptest.Start(t)
	const bound = 2 * 16 * 64 << 10
	type result struct {
		total int
		since []int // bytes delivered between arming a due timer and its firing
	}
	res := make(chan result, 1)
	looptest.On(t, l, func() {
		var r result
		c := process.Command(floodArgs[0], floodArgs[1:]...)
		out, err := c.StdoutPipe()
		if err != nil {
			t.Error(err)
			return
		}
		bigPipe(t, out)
		arm, armed, since := true, false, 0
		fired := func() {
			armed = false
			r.since = append(r.since, since)
			if len(r.since) < ticks {
				arm = true // the next Data arms the next one
				return
			}
			out.Close()
			c.Process.Kill()
			c.Done().OnSettled(func(*process.State, error) { res <- r })
		}
		out.SetHandler(process.ReadHandler{
			Data: func(b []byte) {
				spin() // slower than the child: the pipe never runs dry
				r.total += len(b)
				if armed {
					since += len(b)
				}
				if arm {
					arm, armed, since = false, true, 0
					l.AfterFunc(0, fired)
				}
			},
		})
		if err := c.StartOn(context.Background(), l); err != nil {
			t.Error(err)
		}
	})
	r := <-res
	t.Logf("%d bytes read; between arming a due timer and its firing: %v", r.total, r.since)
	if len(r.since) != ticks {
		t.Fatalf("%d timers fired, want %d", len(r.since), ticks)
	}
	for i, n := range r.since {
		if n > bound {
			t.Errorf("timer %d fired after %d bytes were read, more than %d", i, n, bound)
		}
	}
}

// The same with a fiber reading: it never parks while the child keeps the
// pipe full, and sleeps for no time after each MiB, so a due timer fires
// after at most that much.
func TestFloodFiber(t *testing.T) {
	const bound = 1<<20 + 32<<10
	run(t, func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		c := process.Command(floodArgs[0], floodArgs[1:]...)
		out, err := c.StdoutPipe()
		if err != nil {
			return err
		}
		defer out.Close()
		bigPipe(t, out)
		if err := c.Start(ctx); err != nil {
			return err
		}
		var since []int
		n, armed := 0, false
		buf := make([]byte, 32<<10)
		for len(since) < ticks {
			if !armed {
				armed, n = true, 0
				l.AfterFunc(0, func() { armed = false; since = append(since, n) })
			}
			m, err := out.Read(buf)
			if err != nil {
				return err
			}
			n += m
			spin() // slower than the child: the pipe never runs dry
		}
		c.Process.Kill()
		c.Wait()
		t.Logf("bytes read between arming a due timer and its firing: %v", since)
		for i, n := range since {
			if n > bound {
				return fmt.Errorf("timer %d fired after %d bytes were read, more than %d", i, n, bound)
			}
		}
		return nil
	})
}

// A child that ignores its stdin: a fiber writing more than the pipe
// holds parks while the loop's timer goes on; Close wakes it, and the
// child, which does not care that its stdin closed, runs on, with a fiber
// parked in Wait and the timer still firing, until its context kills it.
// Killed while a fiber writes to it, the write fails with EPIPE.
func TestChildIgnoresStdin(t *testing.T) {
	run(t, func(ctx context.Context) error {
		for _, closeFirst := range []bool{true, false} {
			kctx, kill := context.WithCancel(ctx)
			defer kill()
			c := process.Command("sleep", "60")
			in, err := c.StdinPipe()
			if err != nil {
				return err
			}
			if err := c.Start(kctx); err != nil {
				return err
			}
			written := 0
			writer := fiber.Go(ctx, func(context.Context) (struct{}, error) {
				var err error
				written, err = in.Write(make([]byte, 4<<20))
				return struct{}{}, err
			})
			if err := tick(ctx); err != nil {
				return err
			}
			if _, err, done := writer.Result(); done {
				return fmt.Errorf("the write to a child that does not read returned: %v", err)
			}
			want := syscall.EPIPE
			if closeFirst {
				want = syscall.Errno(0)
				in.Close()
				if _, err := fiber.Await(ctx, writer); !errors.Is(err, os.ErrClosed) {
					return fmt.Errorf("write parked when stdin closed: %v, want os.ErrClosed", err)
				}
				waiter := fiber.Go(ctx, func(context.Context) (struct{}, error) { return struct{}{}, c.Wait() })
				if err := tick(ctx); err != nil {
					return err
				}
				if _, _, done := waiter.Result(); done || c.ProcessState != nil {
					return errors.New("the child ended when its stdin closed")
				}
			}
			kill() // the child dies, its stdin's read end closes
			if want != 0 {
				_, err = fiber.Await(ctx, writer)
				if !errors.Is(err, want) || written == 0 || written >= 4<<20 {
					return fmt.Errorf("write: %d bytes, %v; want part of it, then EPIPE", written, err)
				}
				in.Close()
			}
			var ee *process.ExitError
			if err := c.Wait(); !errors.As(err, &ee) || !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Wait: %v", err)
			}
		}
		return nil
	})
}

// spin is a consumer's work on what it read: 25 µs of CPU, so that the
// child writes faster than the parent reads, and every read finds data.
func spin() {
	for t0 := time.Now(); time.Since(t0) < 25*time.Microsecond; {
	}
}

// tick waits for the loop's timer to fire ticks times.
func tick(ctx context.Context) error {
	for range ticks {
		if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
