//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/timer"
)

// Cmd is a command to run as a child process on a loop. Its exported
// fields mirror os/exec.Cmd's, and are set before Start.
//
// A Cmd belongs to the loop it starts on: its methods are for the code of
// that loop (Wait for its fibers), except that Process.Signal and Kill
// may be used from anywhere.
type Cmd struct {
	// Path is the path of the program to run; Command fills it in by
	// looking the name up in PATH, as os/exec does.
	Path string

	// Args is the command line, Args[0] included; empty means {Path}.
	Args []string

	// Env is the child's environment, as "key=value" strings; nil means
	// the parent's.
	Env []string

	// Dir is the child's working directory; empty means the parent's.
	Dir string

	// Stdin is the child's standard input. nil reads from /dev/null; an
	// *os.File's descriptor is given to the child as it is; any other
	// reader is read on the loop (so it must not block: a bytes.Reader,
	// a strings.Reader, ...) and copied into a pipe, and the copy stops
	// when the child exits. StdinPipe is the alternative.
	Stdin io.Reader

	// Stdout and Stderr are the child's standard output and error. nil
	// writes to /dev/null; an *os.File's descriptor is given to the child
	// as it is; any other writer receives, on the loop, what the child
	// writes to a pipe (so it must not block: a bytes.Buffer, ...), and
	// Wait waits for the end of that copy. If both are the same writer,
	// one pipe serves both, and their order is kept. StdoutPipe and
	// StderrPipe are the alternative.
	Stdout io.Writer
	Stderr io.Writer

	// SysProcAttr holds system-specific attributes (syscall.SysProcAttr),
	// such as Setpgid.
	SysProcAttr *syscall.SysProcAttr

	// Cancel, if set, is what the loop calls when the context given to
	// Start is done before the child exits, instead of killing it with
	// SIGKILL (Process.Kill): to send SIGTERM first, say. WaitDelay then
	// bounds how long the child has.
	Cancel func() error

	// WaitDelay, if positive, bounds two waits, as in os/exec: after the
	// context is done and Cancel ran, the child is killed with SIGKILL if
	// it has not exited within WaitDelay; and after the child exits, the
	// copies to Stdout and Stderr (which a grandchild holding the pipe
	// can keep open) are cut after WaitDelay, and Wait returns
	// ErrWaitDelay if nothing worse happened. Zero waits for ever.
	WaitDelay time.Duration

	// Process is the child, once started.
	Process *Process

	// ProcessState is how the child ended, once it has been reaped.
	ProcessState *State

	// Err is an error of Command (the name was not found in PATH), which
	// Start returns.
	Err error

	l     *loop.Loop
	ls    *loopState
	ctx   context.Context
	user  [3]userPipe // StdinPipe, StdoutPipe, StderrPipe
	given [3]givenFd  // fds a Pipeline gives the child

	stopCtx   func() bool   // stops the watch of ctx
	cancelErr error         // ctx's error, once it ended the child's life
	killT     timer.Timer   // WaitDelay's SIGKILL after Cancel
	delayT    timer.Timer   // WaitDelay's cut of the copies after the exit
	feed      *feeder       // Stdin copied from a reader
	copies    []*PipeReader // Stdout and Stderr copied to writers, until EOF
	copyErr   error
	cut       bool // WaitDelay cut the copies
	nopidfd   bool // the exit is learned from SIGCHLD (counted in ls.nopidfd)
	exited    bool // reaped (or lost)
	finished  bool // exited, and the copies are over: Wait returns
	err       error
	waiters   []fiber.Waiter
	promise   *future.Promise[*State]
	done      *future.Future[*State]
	onFinish  func() // a Pipeline's
	waitErr   error  // an error reaping the child
}

// userPipe is a parent end made by StdinPipe, StdoutPipe or StderrPipe,
// and the child's end of it.
type userPipe struct {
	r     *PipeReader
	w     *PipeWriter
	child int
}

// givenFd is a descriptor a Pipeline gives the child for one of its
// standard fds.
type givenFd struct {
	fd  int
	set bool
}

// Errors of Cmd's methods.
var (
	// ErrWaitDelay is returned by Wait when WaitDelay cut the copies of
	// the child's output after it exited (a grandchild kept the pipe
	// open).
	ErrWaitDelay = errors.New("process: WaitDelay expired before the output was copied")

	errStarted    = errors.New("process: already started")
	errNotStarted = errors.New("process: not started")
	errNotOnLoop  = errors.New("process: not called on the loop's goroutine")
	errNoCommand  = errors.New("process: no command")
)

// Command returns a Cmd to run name with args. A name without a slash is
// looked up in PATH as os/exec.LookPath does; if that fails, Cmd.Err says
// why and Start returns it.
func Command(name string, arg ...string) *Cmd {
	c := &Cmd{Path: name, Args: append([]string{name}, arg...)}
	if !strings.Contains(name, "/") {
		lp, err := exec.LookPath(name)
		if lp != "" {
			c.Path = lp
		}
		c.Err = err
	}
	return c
}

// Start starts the child on the calling fiber's loop, as StartOn does,
// except that the fork and exec run on weft's offload pool while the
// fiber is parked: the loop goes on serving its other fibers and events
// meanwhile. Only a fiber may call it, with its own context or one
// derived from it; ctx bounds the child's life, not the start.
func (c *Cmd) Start(ctx context.Context) error {
	return c.start(ctx, fiber.Loop(ctx), true)
}

// StartOn starts the child on l, from code running on l (a fiber, a task,
// a callback). The child's standard fds are set up as the Cmd's fields
// say, the parent's ends of its pipes are non-blocking and registered in
// l's poller, and l learns of its exit from the poller (a pidfd on Linux)
// or SIGCHLD (elsewhere). When ctx is done before the child exits, the
// child is killed (see Cancel and WaitDelay).
//
// The fork and exec run on the loop's thread, which waits until the child
// has called exec (Go forks with vfork semantics): typically a few
// hundred microseconds, more on a loaded machine (docs/process.md). In a
// fiber, Start does it without holding the loop.
//
// If the loop closes while the child runs, the child is killed with
// SIGKILL and reaped, and its pipes are closed.
func (c *Cmd) StartOn(ctx context.Context, l *loop.Loop) error {
	return c.start(ctx, l, false)
}

// start is Start and StartOn: prepare on the loop, fork (on the offload
// pool if offload is set), then finish on the loop.
func (c *Cmd) start(ctx context.Context, l *loop.Loop, offload bool) (err error) {
	if ctx == nil {
		panic("process: Start with a nil Context")
	}
	switch {
	case l == nil || !l.OnLoop():
		return errNotOnLoop
	case c.l != nil || c.Process != nil:
		return errStarted
	}
	defer func() {
		if err != nil {
			c.closeUserPipes()
		}
	}()
	switch {
	case c.Err != nil:
		return c.Err
	case c.Path == "":
		return errNoCommand
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ls := stateOf(l)
	c.l, c.ls, c.ctx = l, ls, ctx
	sio, err := c.setup(l, ls)
	if err != nil {
		c.l = nil
		return err
	}
	pidfd := usePidfd()
	if !pidfd {
		// Subscribed before the fork, so the child's SIGCHLD cannot come
		// before we listen.
		if err := ls.watchSIGCHLD(); err != nil {
			sio.fail()
			c.l = nil
			return err
		}
	}
	var pid int
	if offload {
		pid, err = c.forkOffloaded(ctx, sio)
	} else {
		pid, err = c.fork(sio)
	}
	if err != nil {
		sio.fail()
		if !pidfd {
			ls.unwatchSIGCHLD()
		}
		c.l = nil
		return &os.PathError{Op: "fork/exec", Path: c.Path, Err: err}
	}
	c.Process = &Process{Pid: pid, l: l, pidfd: -1}
	ls.cmds[c] = struct{}{}
	c.watchExit(pidfd)
	sio.begin()
	if ctx.Done() != nil {
		c.stopCtx = context.AfterFunc(ctx, func() { _ = l.Post(c.ctxDone) })
	}
	return nil
}

// fork starts the child and closes, in the parent, the ends opened for
// it. It touches nothing of the loop's, so it may run on the offload pool.
func (c *Cmd) fork(sio *stdio) (int, error) {
	args := c.Args
	if len(args) == 0 {
		args = []string{c.Path}
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	pid, err := syscall.ForkExec(c.Path, args, &syscall.ProcAttr{
		Dir:   c.Dir,
		Env:   env,
		Files: sio.files[:],
		Sys:   c.SysProcAttr,
	})
	sio.closeChildEnds()
	return pid, err
}

// forkOffloaded runs fork on the offload pool while the calling fiber is
// parked. The start cannot be cancelled (it is short, and a child forked
// must be accounted for), but the fiber can be unwound by its loop
// closing: then whichever of the worker and the unwinding fiber comes
// second kills and reaps the child, which no loop will watch.
func (c *Cmd) forkOffloaded(ctx context.Context, sio *stdio) (pid int, err error) {
	var (
		mu       sync.Mutex
		forked   bool // the worker is done with the fork
		orphaned bool // the fiber was unwound before it saw the result
	)
	resumed := false
	defer func() {
		if resumed {
			return
		}
		mu.Lock()
		orphaned = true
		own := forked && err == nil
		mu.Unlock()
		if own {
			killAndReap(pid)
		}
	}()
	_, _ = fiber.Blocking(context.WithoutCancel(ctx), func(context.Context) (struct{}, error) {
		if h := forkHook.Load(); h != nil {
			(*h)(false)
		}
		p, e := c.fork(sio)
		mu.Lock()
		pid, err, forked = p, e, true
		own := orphaned && e == nil
		mu.Unlock()
		if own {
			killAndReap(p)
		}
		if h := forkHook.Load(); h != nil {
			(*h)(true)
		}
		return struct{}{}, nil
	})
	resumed = true
	mu.Lock()
	defer mu.Unlock()
	return pid, err
}

// forkHook, if set, runs on the offload worker before (false) and after
// (true) its fork: a test hook, to hold the worker while the loop closes.
var forkHook atomic.Pointer[func(after bool)]

// killAndReap kills and reaps a child that no loop watches.
func killAndReap(pid int) {
	_ = unix.Kill(pid, unix.SIGKILL)
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// ctxDone runs on the loop when the context given to Start is done.
func (c *Cmd) ctxDone() {
	if c.exited {
		return
	}
	c.cancelErr = c.ctx.Err()
	if c.Cancel != nil {
		_ = c.Cancel()
	} else {
		_ = c.Process.Kill()
	}
	if c.WaitDelay > 0 && !c.exited {
		c.killT = c.l.AfterFunc(c.WaitDelay, func() { _ = c.Process.Kill() })
	}
}

// exit records the child's end (st nil and err set if it was lost) and
// finishes the Cmd unless copies of its output are still going.
func (c *Cmd) exit(st *State, err error) {
	c.exited = true
	c.ProcessState = st
	c.waitErr = err
	delete(c.ls.cmds, c)
	if c.stopCtx != nil {
		c.stopCtx()
	}
	c.killT.Stop()
	if c.feed != nil {
		c.feed.stop() // the child will not read any more
	}
	if len(c.copies) > 0 && c.WaitDelay > 0 {
		c.delayT = c.l.AfterFunc(c.WaitDelay, c.cutCopies)
	}
	c.maybeFinish()
}

// cutCopies ends the copies of the output that outlived the child by
// WaitDelay.
func (c *Cmd) cutCopies() {
	for _, r := range slices.Clone(c.copies) { // each Close removes its reader
		c.cut = true
		r.Close()
	}
}

// copyDone is the end of a copy of the child's output.
func (c *Cmd) copyDone(r *PipeReader, err error) {
	if err != nil && err != io.EOF && c.copyErr == nil {
		c.copyErr = err
	}
	for i, x := range c.copies {
		if x == r {
			c.copies = append(c.copies[:i], c.copies[i+1:]...)
			break
		}
	}
	c.maybeFinish()
}

// maybeFinish ends the Cmd once the child is reaped and its output
// copied: Wait returns, Done settles.
func (c *Cmd) maybeFinish() {
	if !c.exited || len(c.copies) > 0 || c.finished {
		return
	}
	c.finished = true
	c.delayT.Stop()
	c.err = c.result()
	wakeAll(&c.waiters)
	if c.promise != nil {
		c.promise.Settle(c.ProcessState, c.err)
	}
	if c.onFinish != nil {
		c.onFinish()
	}
}

// result is Wait's error, in os/exec's order: the child's failure first,
// then the copies', then the context's, then WaitDelay's.
func (c *Cmd) result() error {
	switch st := c.ProcessState; {
	case c.waitErr != nil:
		return c.waitErr
	case !st.Success():
		return &ExitError{State: st, cause: c.cancelErr}
	case c.copyErr != nil:
		return c.copyErr
	case c.cancelErr != nil:
		return c.cancelErr
	case c.cut:
		return ErrWaitDelay
	}
	return nil
}

// abandon kills and reaps a child whose loop is closing (the close hook).
func (c *Cmd) abandon() {
	_ = c.Process.Kill()
	st, _, err := c.Process.reap(true)
	c.ProcessState, c.exited, c.finished = st, true, true
	c.err = loop.ErrClosed
	if err != nil {
		c.err = err
	}
	if c.stopCtx != nil {
		c.stopCtx()
	}
}

// Wait parks the calling fiber until the child has exited and the copies
// of its output (to Stdout and Stderr writers) are over. It returns nil
// if the child exited with code 0; an *ExitError if it did not (matching
// the context's error too, with errors.Is, if the context ended its life);
// else an error of the copies, the context's error if it ended while the
// child still exited with 0, or ErrWaitDelay. Pipes made by StdinPipe,
// StdoutPipe and StderrPipe are the caller's, unlike os/exec's: Wait does
// not close them, and reading them to EOF may go on after it returns.
//
// Only a fiber of the Cmd's loop may call it (ErrNotFiber otherwise; use
// Done on the loop outside fibers), any number of times; it returns the
// fiber's context's error if that is done first, and the child goes on.
func (c *Cmd) Wait() error {
	if c.l == nil {
		return errNotStarted
	}
	ctx := fiber.Self(c.l)
	if ctx == nil {
		return ErrNotFiber
	}
	for !c.finished {
		if err := fiber.Suspend(ctx, "Cmd.Wait", func(w fiber.Waiter) { c.waiters = append(c.waiters, w) }); err != nil {
			return err
		}
	}
	return c.err
}

// Done returns a future that settles as Wait returns: resolved with the
// child's State if Wait's error is nil, else rejected with that error (an
// *ExitError carries the State). It is for code on the Cmd's loop that is
// not a fiber (the callback face); it is made on the first call, so a Cmd
// nobody asks for it reports no unhandled rejection. It panics before
// Start.
func (c *Cmd) Done() *future.Future[*State] {
	if c.l == nil {
		panic("process: Done before Start")
	}
	if c.done == nil {
		f, p := future.New[*State](c.l)
		c.done, c.promise = f, &p
		if c.finished {
			p.Settle(c.ProcessState, c.err)
		}
	}
	return c.done
}

// Run starts the child on the calling fiber's loop and waits for it:
// Start, then Wait.
func (c *Cmd) Run(ctx context.Context) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the child and returns its standard output. Stdout must be
// unset.
func (c *Cmd) Output(ctx context.Context) ([]byte, error) {
	if c.Stdout != nil || c.user[1].r != nil {
		return nil, errors.New("process: Stdout already set")
	}
	var b bytes.Buffer
	c.Stdout = &b
	err := c.Run(ctx)
	return b.Bytes(), err
}

// CombinedOutput runs the child and returns its standard output and error
// together, in the order it wrote them. Stdout and Stderr must be unset.
func (c *Cmd) CombinedOutput(ctx context.Context) ([]byte, error) {
	if c.Stdout != nil || c.Stderr != nil || c.user[1].r != nil || c.user[2].r != nil {
		return nil, errors.New("process: Stdout or Stderr already set")
	}
	var b bytes.Buffer
	c.Stdout, c.Stderr = &b, &b
	err := c.Run(ctx)
	return b.Bytes(), err
}

// StdinPipe returns the write end of a pipe to the child's standard input,
// usable once the child has started: a PipeWriter on the Cmd's loop (the
// fiber face parks a writing fiber while the child does not read). Close
// it for the child to see EOF. Call it before Start, with Stdin unset.
func (c *Cmd) StdinPipe() (*PipeWriter, error) {
	if err := c.pipeCheck(0, c.Stdin != nil, "Stdin"); err != nil {
		return nil, err
	}
	r, w, err := osPipe()
	if err != nil {
		return nil, os.NewSyscallError("pipe", err)
	}
	c.user[0] = userPipe{w: newPipeWriter(w, "stdin"), child: r}
	return c.user[0].w, nil
}

// StdoutPipe returns the read end of a pipe from the child's standard
// output, usable once the child has started: a PipeReader on the Cmd's
// loop, with its fiber face and its callback face. It reaches EOF when
// the child, and any grandchild that inherited it, have closed it. The
// caller closes it. Call it before Start, with Stdout unset.
func (c *Cmd) StdoutPipe() (*PipeReader, error) { return c.outPipe(1, c.Stdout != nil, "Stdout") }

// StderrPipe is StdoutPipe for the child's standard error.
func (c *Cmd) StderrPipe() (*PipeReader, error) { return c.outPipe(2, c.Stderr != nil, "Stderr") }

func (c *Cmd) outPipe(i int, set bool, name string) (*PipeReader, error) {
	if err := c.pipeCheck(i, set, name); err != nil {
		return nil, err
	}
	r, w, err := osPipe()
	if err != nil {
		return nil, os.NewSyscallError("pipe", err)
	}
	c.user[i] = userPipe{r: newPipeReader(r, strings.ToLower(name)), child: w}
	return c.user[i].r, nil
}

func (c *Cmd) pipeCheck(i int, set bool, name string) error {
	switch {
	case c.l != nil || c.Process != nil:
		return errors.New("process: " + name + "Pipe after Start")
	case set:
		return errors.New("process: " + name + " already set")
	case c.user[i].r != nil || c.user[i].w != nil:
		return errors.New("process: " + name + "Pipe called twice")
	case c.given[i].set:
		return errors.New("process: " + name + " is connected in a pipeline")
	}
	return nil
}

// closeUserPipes closes both ends of the pipes made by StdinPipe,
// StdoutPipe and StderrPipe when Start fails: the caller's ends then
// report os.ErrClosed.
func (c *Cmd) closeUserPipes() {
	for i := range c.user {
		u := &c.user[i]
		if u.child >= 0 && (u.r != nil || u.w != nil) {
			closeFd(u.child)
			u.child = -1
		}
		if u.r != nil && u.r.l == nil && !u.r.gone {
			u.r.closed, u.r.gone = true, true
			closeFd(u.r.fd)
		}
		if u.w != nil && u.w.l == nil && !u.w.gone {
			u.w.closed, u.w.gone = true, true
			closeFd(u.w.fd)
		}
	}
}

// ExitError is Wait's error for a child that did not exit with code 0.
// It embeds the child's State. If the context given to Start ended the
// child's life, errors.Is also matches the context's error
// (context.DeadlineExceeded, context.Canceled).
type ExitError struct {
	*State
	cause error
}

// Error describes how the child ended: "exit status 1", "signal: killed".
func (e *ExitError) Error() string { return e.State.String() }

// Unwrap returns the context's error if the context ended the child's
// life, else nil.
func (e *ExitError) Unwrap() error { return e.cause }
