// Package process runs child processes on a weft loop: their standard
// input and output are non-blocking pipes registered in the loop's
// poller, their exit is a loop event, and nothing blocks the loop.
//
//	cmd := process.Command("sort")
//	cmd.Stdin = strings.NewReader("b\na\n")
//	out, err := cmd.Output(ctx) // in a fiber: parks it, not the loop
//
// # Commands
//
// Cmd mirrors os/exec.Cmd (Path, Args, Env, Dir, Stdin, Stdout, Stderr,
// SysProcAttr, Cancel, WaitDelay, Process, ProcessState) and its methods
// (Start, Wait, Run, Output, CombinedOutput, StdinPipe, StdoutPipe,
// StderrPipe). Start(ctx) is for fibers: the child belongs to the calling
// fiber's loop, the fork and exec run on the offload pool while the fiber
// is parked, and Wait parks the fiber until the child has exited and its
// output is copied. StartOn(ctx, l) starts a child from any code running
// on l (a task, a callback), forking on the loop's thread, and Done
// returns the future of its end: the callback face. When ctx is done
// before the child exits, the child is killed (SIGKILL, or Cancel). A
// Pipeline runs `a | b | c` with pipes from child to child.
//
// The child's exit is learned, on Linux, from a pidfd registered in the
// poller (readable when the child exits); elsewhere, or where pidfd_open
// is refused, from SIGCHLD through package weft/signal. Either way the
// child is reaped, by its own pid, as soon as the loop learns it exited:
// no zombie is left, and children other code started are not touched.
// docs/process.md explains the choices.
//
// # Pipes
//
// PipeReader and PipeWriter are the parent's ends of a pipe on a loop
// (StdoutPipe, StdinPipe, or Pipe for a pair), each with two faces. In a
// fiber they are an io.Reader and an io.Writer: Read parks the fiber
// until data comes, Write until the pipe has taken all of it (the kernel's
// pipe buffer, 64 KiB on Linux, is the only queue, so a child that does
// not read parks the writer and holds no memory of ours), and Close wakes
// a parked call with an error matching os.ErrClosed. On the loop outside
// fibers, a reader with a ReadHandler gets its data pushed to Data as it
// arrives, and Write queues what the pipe does not take, up to 256 KiB,
// then returns ErrQueueFull until OnDrain.
//
// A child that floods its output does not take the loop: a callback-face
// reader makes at most 16 reads of 64 KiB, then waits for the loop's next
// turn (after its timers and its poll), and a fiber that reads a MiB
// without parking sleeps until the next turn. A child that ignores its
// input, or never exits, holds a parked fiber at most, and its context
// can kill it.
//
// # Who may call what
//
// A Cmd and its pipes belong to the loop the Cmd starts on: their methods
// are for that loop's code (Read, Wait and Start for its fibers), except
// Process.Signal and Process.Kill, the pipes' Close, and PipeWriter.Write
// (which blocks a goroutine outside the loop until the pipe has taken the
// data), which are safe from any goroutine. StartOn's fork holds the
// loop's thread until the child has called exec (Go forks with vfork
// semantics): about a millisecond on a loaded 2-core machine
// (docs/process.md), which is why Start, in a fiber, forks on the offload
// pool instead.
//
// # When the loop closes
//
// Closing a loop kills (SIGKILL) and reaps every child of it still
// running, and closes the pipes still open: a loop never leaves a zombie,
// nor a child whose pipes nobody reads (asyncio kills the child when its
// transport closes; tokio when asked to, with kill_on_drop). A child
// meant to outlive the loop must be started some other way (os/exec,
// with Setsid).
//
// Errors are Go errors: *os.PathError for pipes and a failed exec
// (errors.Is works with os.ErrClosed, fs.ErrNotExist, syscall.EPIPE and
// the context's errors), *ExitError for a child that failed.
//
// The package exists on Linux, macOS, FreeBSD, NetBSD and OpenBSD;
// elsewhere it is empty.
package process
