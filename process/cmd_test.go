//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/process"
)

// Exit codes and deaths by signal come back as os/exec reports them.
func TestExitStatus(t *testing.T) {
	run(t, func(ctx context.Context) error {
		if err := process.Command("true").Run(ctx); err != nil {
			return fmt.Errorf("true: %v", err)
		}
		for _, tc := range []struct {
			args []string
			code int
			sig  os.Signal
			text string
		}{
			{[]string{"false"}, 1, nil, "exit status 1"},
			{[]string{"sh", "-c", "exit 7"}, 7, nil, "exit status 7"},
			{[]string{"sh", "-c", "kill -TERM $$"}, -1, unix.SIGTERM, "signal: terminated"},
		} {
			c := process.Command(tc.args[0], tc.args[1:]...)
			err := c.Run(ctx)
			var ee *process.ExitError
			if !errors.As(err, &ee) {
				return fmt.Errorf("%q: err %v (%T), want an *ExitError", tc.args, err, err)
			}
			st := c.ProcessState
			if ee.State != st || st.ExitCode() != tc.code || st.Signal() != tc.sig || st.Success() ||
				err.Error() != tc.text || st.Pid() != c.Process.Pid {
				return fmt.Errorf("%q: %v, code %d, signal %v; want %s, code %d, signal %v",
					tc.args, err, st.ExitCode(), st.Signal(), tc.text, tc.code, tc.sig)
			}
			if ws := st.Sys().(syscall.WaitStatus); ws.ExitStatus() != tc.code && tc.sig == nil {
				return fmt.Errorf("%q: Sys() %v disagrees", tc.args, ws)
			}
		}
		return nil
	})
}

// Stdout captured into a buffer, through a pipe read on the loop; Stdout
// and Stderr to one buffer keep their order.
func TestOutput(t *testing.T) {
	run(t, func(ctx context.Context) error {
		out, err := process.Command("echo", "hello", "weft").Output(ctx)
		if err != nil || string(out) != "hello weft\n" {
			return fmt.Errorf("Output: %q, %v", out, err)
		}
		out, err = process.Command("sh", "-c", "echo 1; echo 2 >&2; echo 3").CombinedOutput(ctx)
		if err != nil || string(out) != "1\n2\n3\n" {
			return fmt.Errorf("CombinedOutput: %q, %v", out, err)
		}
		var stdout, stderr bytes.Buffer
		c := process.Command("sh", "-c", "echo out; echo err >&2; exit 3")
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(ctx); c.ProcessState.ExitCode() != 3 || stdout.String() != "out\n" || stderr.String() != "err\n" {
			return fmt.Errorf("Run: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
		// A big output: many reads, several loop turns.
		out, err = process.Command("head", "-c", "3000000", "/dev/zero").Output(ctx)
		if err != nil || len(out) != 3000000 {
			return fmt.Errorf("head -c 3000000: %d bytes, %v", len(out), err)
		}
		return nil
	})
}

// Stdin from a reader (copied on the loop through the pipe's callback
// face) and from StdinPipe (written by a fiber): the child gets every
// byte, then EOF.
func TestStdin(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: more than a pipe holds
	run(t, func(ctx context.Context) error {
		c := process.Command("cat")
		c.Stdin = bytes.NewReader(data)
		out, err := c.Output(ctx)
		if err != nil || !bytes.Equal(out, data) {
			return fmt.Errorf("cat of a reader: %d bytes back of %d, %v", len(out), len(data), err)
		}

		c = process.Command("wc", "-c")
		in, err := c.StdinPipe()
		if err != nil {
			return err
		}
		var out2 bytes.Buffer
		c.Stdout = &out2
		if err := c.Start(ctx); err != nil {
			return err
		}
		for off := 0; off < len(data); off += 100000 {
			if _, err := in.Write(data[off:min(off+100000, len(data))]); err != nil {
				return fmt.Errorf("write to stdin: %w", err)
			}
		}
		if err := in.Close(); err != nil {
			return err
		}
		if err := c.Wait(); err != nil {
			return err
		}
		if got := strings.TrimSpace(out2.String()); got != fmt.Sprint(len(data)) {
			return fmt.Errorf("wc -c counted %s bytes, want %d", got, len(data))
		}
		// A child that exits without reading: the copy stops, no error.
		c = process.Command("true")
		c.Stdin = bytes.NewReader(data)
		return c.Run(ctx)
	})
}

// StdoutPipe and StderrPipe in fibers: io.ReadAll parks until EOF.
func TestOutputPipes(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := process.Command("sh", "-c", "echo to-out; echo to-err >&2")
		stdout, err := c.StdoutPipe()
		if err != nil {
			return err
		}
		defer stdout.Close()
		stderr, err := c.StderrPipe()
		if err != nil {
			return err
		}
		defer stderr.Close()
		if err := c.Start(ctx); err != nil {
			return err
		}
		errText := fiber.Go(ctx, func(context.Context) ([]byte, error) { return io.ReadAll(stderr) })
		out, err := io.ReadAll(stdout)
		if err != nil || string(out) != "to-out\n" {
			return fmt.Errorf("stdout %q, %v", out, err)
		}
		if e, err := fiber.Await(ctx, errText); err != nil || string(e) != "to-err\n" {
			return fmt.Errorf("stderr %q, %v", e, err)
		}
		return c.Wait()
	})
}

// A context that ends kills the child: Wait's error is an *ExitError for
// SIGKILL that also matches the context's error.
func TestKillOnContextTimeout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		c := process.Command("sleep", "60")
		if err := c.Start(tctx); err != nil {
			return err
		}
		err := c.Wait()
		var ee *process.ExitError
		if !errors.As(err, &ee) || !errors.Is(err, context.DeadlineExceeded) || ee.Signal() != unix.SIGKILL {
			return fmt.Errorf("Wait: %v, want an *ExitError for SIGKILL matching context.DeadlineExceeded", err)
		}
		// Cancel and WaitDelay: SIGTERM first, which this child ignores,
		// then SIGKILL after WaitDelay.
		cctx, cancel2 := context.WithCancel(ctx)
		defer cancel2()
		c = process.Command("sh", "-c", "trap '' TERM; echo ready; sleep 60 & wait")
		c.Cancel = func() error { return c.Process.Signal(unix.SIGTERM) }
		c.WaitDelay = 50 * time.Millisecond
		ready, err := c.StdoutPipe()
		if err != nil {
			return err
		}
		defer ready.Close()
		if err := c.Start(cctx); err != nil {
			return err
		}
		if _, err := ready.Read(make([]byte, 16)); err != nil { // the trap is set
			return err
		}
		cancel2()
		err = c.Wait()
		if !errors.As(err, &ee) || !errors.Is(err, context.Canceled) || ee.Signal() != unix.SIGKILL {
			return fmt.Errorf("Wait after Cancel: %v, want killed by SIGKILL after SIGTERM was ignored", err)
		}
		// A context done before Start: nothing starts.
		c = process.Command("true")
		if err := c.Start(cctx); !errors.Is(err, context.Canceled) || c.Process != nil {
			return fmt.Errorf("Start with a done context: %v", err)
		}
		return nil
	})
}

// Process.Signal and Kill, from another goroutine as well; after the
// reap, os.ErrProcessDone.
func TestSignalAndKill(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := process.Command("sleep", "60")
		if err := c.Start(ctx); err != nil {
			return err
		}
		p := c.Process
		if _, err := fiber.Blocking(ctx, func(context.Context) (struct{}, error) {
			return struct{}{}, p.Signal(unix.SIGTERM)
		}); err != nil {
			return err
		}
		if err := c.Wait(); c.ProcessState.Signal() != unix.SIGTERM {
			return fmt.Errorf("after SIGTERM: %v", err)
		}
		if err := p.Kill(); !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("Kill after the reap: %v, want os.ErrProcessDone", err)
		}
		if err := p.Signal(fakeSignal{}); !errors.Is(err, os.ErrInvalid) {
			return fmt.Errorf("a signal that is not a syscall.Signal: %v", err)
		}
		return nil
	})
}

type fakeSignal struct{}

func (fakeSignal) String() string { return "fake" }
func (fakeSignal) Signal()        {}

// Bad input fails clearly and leaks nothing: the pipes made for a Cmd
// that cannot start are closed.
func TestStartErrors(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := process.Command("weft-no-such-command")
		out, err := c.StdoutPipe()
		if err != nil {
			return err
		}
		if err := c.Start(ctx); !errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("unknown command: %v, want exec.ErrNotFound", err)
		}
		if err := out.Close(); !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("StdoutPipe of a Cmd that failed to start: Close gives %v, want os.ErrClosed", err)
		}
		c = process.Command("/weft/no/such/file")
		if err := c.Start(ctx); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("missing path: %v, want fs.ErrNotExist", err)
		}
		c = &process.Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 0"}, Dir: "/weft/no/such/dir"}
		if err := c.Start(ctx); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("missing Dir: %v, want fs.ErrNotExist", err)
		}
		if err := (&process.Cmd{}).Start(ctx); err == nil {
			return errors.New("a Cmd without a Path started")
		}
		c = process.Command("true")
		if err := c.Start(ctx); err != nil {
			return err
		}
		if err := c.Start(ctx); err == nil {
			return errors.New("a second Start succeeded")
		}
		if _, err := c.StdoutPipe(); err == nil {
			return errors.New("StdoutPipe after Start succeeded")
		}
		return c.Wait()
	})
	c := process.Command("true")
	if err := c.Wait(); err == nil {
		t.Error("Wait before Start succeeded")
	}
	l := looptest.Start(t)
	if err := c.StartOn(context.Background(), l); err == nil {
		t.Error("StartOn from a goroutine that is not the loop's succeeded")
	}
}

// The callback face: StartOn from a loop task, the output pushed to a
// ReadHandler, the end as a future, and Wait refused outside fibers.
func TestCallbackFace(t *testing.T) {
	fdtest.Check(t)
	l := looptest.Start(t)
	type result struct {
		out  string
		st   *process.State
		err  error
		wait error
	}
	res := make(chan result, 1)
	looptest.On(t, l, func() {
		var r result
		var buf bytes.Buffer
		c := process.Command("sh", "-c", "echo one; echo two; exit 5")
		out, err := c.StdoutPipe()
		if err != nil {
			t.Error(err)
			return
		}
		// The exit and the output's EOF come in either order: the result
		// is sent after both.
		left := 2
		both := func() {
			if left--; left == 0 {
				r.out, r.st = buf.String(), c.ProcessState
				res <- r
			}
		}
		out.SetHandler(process.ReadHandler{
			Data: func(b []byte) { buf.Write(b) },
			Close: func(err error) {
				if err != io.EOF {
					t.Errorf("output ended with %v, want io.EOF", err)
				}
				both()
			},
		})
		if err := c.StartOn(context.Background(), l); err != nil {
			t.Error(err)
			return
		}
		r.wait = c.Wait()
		c.Done().OnSettled(func(_ *process.State, err error) {
			r.err = err // a rejected future carries only the error
			both()
		})
	})
	r := <-res
	if r.st == nil {
		t.Fatalf("no state: err %v, out %q", r.err, r.out)
	}
	var ee *process.ExitError
	if r.out != "one\ntwo\n" || r.st.ExitCode() != 5 || !errors.As(r.err, &ee) || ee.State != r.st {
		t.Errorf("got %q, state %v, err %v; want the two lines and exit status 5", r.out, r.st, r.err)
	}
	if !errors.Is(r.wait, process.ErrNotFiber) {
		t.Errorf("Wait outside a fiber: %v, want ErrNotFiber", r.wait)
	}
}

// WaitDelay cuts the copy of an output that a grandchild keeps open after
// the child exited.
func TestWaitDelay(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var out bytes.Buffer
		c := process.Command("sh", "-c", "sleep 60 & echo $!")
		c.Stdout = &out
		c.WaitDelay = 50 * time.Millisecond
		err := c.Run(ctx)
		var pid int
		if _, serr := fmt.Sscan(out.String(), &pid); serr == nil {
			unix.Kill(pid, unix.SIGKILL) // the grandchild, not ours to reap
		}
		if !errors.Is(err, process.ErrWaitDelay) || pid == 0 {
			return fmt.Errorf("Wait: %v (output %q), want ErrWaitDelay and the grandchild's pid", err, out.String())
		}
		return nil
	})
}

// Wait parks only the waiting fiber: the loop's other fibers run, and
// its context ends the wait.
func TestWaitCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := process.Command("sleep", "60")
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Process.Kill()
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		waiter := fiber.Go(wctx, func(context.Context) (struct{}, error) { return struct{}{}, c.Wait() })
		if err := fiber.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		cancel()
		if _, err := fiber.Await(ctx, waiter); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("Wait with its fiber cancelled: %v", err)
		}
		if c.ProcessState != nil {
			return errors.New("the child ended")
		}
		return nil
	})
}

// Done settles for a fiber's Await too, and only one future is made.
func TestDone(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := process.Command("false")
		if err := c.Start(ctx); err != nil {
			return err
		}
		if c.Done() != c.Done() {
			return errors.New("two futures")
		}
		_, err := fiber.Await(ctx, c.Done())
		var ee *process.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			return fmt.Errorf("Done: %v", err)
		}
		ok := process.Command("true")
		if err := ok.Start(ctx); err != nil {
			return err
		}
		if st, err := fiber.Await(ctx, ok.Done()); err != nil || st != ok.ProcessState || !st.Success() {
			return fmt.Errorf("Done of true: %v, %v", st, err)
		}
		return nil
	})
}

// Many short-lived children, several at a time: every one is reaped.
func TestManyChildren(t *testing.T) {
	manyChildren(t, 200)
}

func manyChildren(t *testing.T, n int) {
	const batch = 20
	run(t, func(ctx context.Context) error {
		for i := 0; i < n; i += batch {
			var waits []func() error
			for j := range batch {
				c := process.Command("sh", "-c", fmt.Sprintf("exit %d", (i+j)%3))
				if err := c.Start(ctx); err != nil {
					return err
				}
				waits = append(waits, spawn(ctx, func(context.Context) error {
					c.Wait()
					if c.ProcessState.ExitCode() != (i+j)%3 {
						return fmt.Errorf("child %d: %v", i+j, c.ProcessState)
					}
					return nil
				}))
			}
			for _, w := range waits {
				if err := w(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	noChildren(t)
}

// A loop that closes kills and reaps its children and closes their pipes.
func TestLoopCloseKills(t *testing.T) {
	fdtest.Check(t)
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	go l.Run()
	var cmds []*process.Cmd
	looptest.On(t, l, func() {
		for range 3 {
			c := process.Command("sleep", "60")
			if _, err := c.StdoutPipe(); err != nil {
				t.Error(err)
			}
			if err := c.StartOn(context.Background(), l); err != nil {
				t.Error(err)
			}
			cmds = append(cmds, c)
		}
	})
	l.Close()
	for _, c := range cmds {
		if st := c.ProcessState; st == nil || st.Signal() != unix.SIGKILL {
			t.Errorf("child %d: %v, want killed by SIGKILL", c.Process.Pid, st)
		}
	}
	noChildren(t)
}

// A loop that stops while a fiber's Start is forking on the offload pool:
// the fiber is unwound, and the child, which no loop will watch, is
// killed and reaped all the same, whether the fork ends before the fiber
// is unwound (the fiber does it) or after (the worker does).
func TestLoopClosesDuringStart(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprint("hold after fork=", after), func(t *testing.T) {
			fdtest.Check(t)
			held, release := make(chan struct{}), make(chan struct{})
			defer process.SetForkHook(func(a bool) {
				if a == after {
					close(held)
					<-release
				}
			})()
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
					return struct{}{}, process.Command("sleep", "60").Start(ctx)
				})
				fiber.Yield(ctx) // the other fiber parks in Start
				if _, err := fiber.Blocking(ctx, func(context.Context) (struct{}, error) { <-held; return struct{}{}, nil }); err != nil {
					return err
				}
				fiber.Loop(ctx).Stop()
				return nil
			})
			close(release)
			if err == nil || !strings.Contains(err.Error(), "killed") {
				t.Errorf("Run: %v, want the starting fiber reported killed", err)
			}
			// The worker that forked may still be killing and reaping.
			for deadline := time.Now().Add(waitLimit); hasChildren() && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			noChildren(t)
		})
	}
}
