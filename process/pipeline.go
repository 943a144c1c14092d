//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// A Pipeline is commands connected as a shell's `a | b | c`: each one's
// standard output is the next one's standard input, through a pipe from
// child to child. The data does not pass through the parent, which
// closes its copies of those pipes as soon as the children have them.
// The first command's Stdin, the last one's Stdout and every Stderr are
// set up as for a single Cmd.
type Pipeline struct {
	// Cmds are the commands, first to last.
	Cmds []*Cmd

	l       *loop.Loop
	left    int // commands not finished
	waiters []fiber.Waiter
	promise *future.Promise[*State]
	done    *future.Future[*State]
}

// NewPipeline returns the pipeline cmds[0] | cmds[1] | ...
func NewPipeline(cmds ...*Cmd) *Pipeline { return &Pipeline{Cmds: cmds} }

// Start starts the pipeline on the calling fiber's loop, as StartOn
// does, with each fork on the offload pool as in Cmd.Start. Only a fiber
// may call it.
func (p *Pipeline) Start(ctx context.Context) error {
	return p.start(ctx, fiber.Loop(ctx), true)
}

// StartOn starts every command on l, from code running on l, each with
// ctx (see Cmd.StartOn). The commands between the first and the last
// must leave Stdin (after the first) and Stdout (before the last) unset.
// If a command cannot start, those already started are killed (and
// reaped by the loop) and its error is returned.
func (p *Pipeline) StartOn(ctx context.Context, l *loop.Loop) error {
	return p.start(ctx, l, false)
}

func (p *Pipeline) start(ctx context.Context, l *loop.Loop, offload bool) error {
	if len(p.Cmds) == 0 {
		return errors.New("process: empty pipeline")
	}
	if p.l != nil {
		return errStarted
	}
	for i, c := range p.Cmds {
		if i > 0 && (c.Stdin != nil || c.user[0].w != nil) {
			return fmt.Errorf("process: pipeline command %d (%s) has its own Stdin", i, c.Path)
		}
		if i < len(p.Cmds)-1 && (c.Stdout != nil || c.user[1].r != nil) {
			return fmt.Errorf("process: pipeline command %d (%s) has its own Stdout", i, c.Path)
		}
	}
	// Every pipe is made before the first fork: each is close-on-exec,
	// so a child gets only the two ends it is given as its 0 and 1.
	var fds []int
	defer func() {
		for _, fd := range fds {
			closeFd(fd)
		}
	}()
	for i := range len(p.Cmds) - 1 {
		r, w, err := osPipe()
		if err != nil {
			for _, c := range p.Cmds {
				c.closeUserPipes()
			}
			return os.NewSyscallError("pipe", err)
		}
		fds = append(fds, r, w)
		p.Cmds[i].given[1] = givenFd{fd: w, set: true}
		p.Cmds[i+1].given[0] = givenFd{fd: r, set: true}
	}
	// A stage may finish while a later one is being forked (on the
	// offload pool, its fiber parked): count them all from the start.
	p.left = len(p.Cmds)
	for _, c := range p.Cmds {
		c.onFinish = p.finished
	}
	for i, c := range p.Cmds {
		if err := c.start(ctx, l, offload); err != nil {
			for _, started := range p.Cmds[:i] {
				_ = started.Process.Kill()
			}
			for _, later := range p.Cmds[i+1:] {
				later.closeUserPipes()
			}
			return err
		}
	}
	p.l = l
	return nil
}

// finished counts a command that finished, and ends the pipeline after
// the last.
func (p *Pipeline) finished() {
	if p.left--; p.left > 0 {
		return
	}
	wakeAll(&p.waiters)
	if p.promise != nil {
		last := p.last()
		p.promise.Settle(last.ProcessState, last.err)
	}
}

func (p *Pipeline) last() *Cmd { return p.Cmds[len(p.Cmds)-1] }

// Wait parks the calling fiber until every command has finished (see
// Cmd.Wait) and returns the last command's error, as a shell does without
// pipefail: in `yes | head -n 1`, yes dying of SIGPIPE is no failure.
// Each command's own error is its Wait's, and its State its
// ProcessState. Only a fiber of the pipeline's loop may call it.
func (p *Pipeline) Wait() error {
	if p.l == nil {
		return errNotStarted
	}
	ctx := fiber.Self(p.l)
	if ctx == nil {
		return ErrNotFiber
	}
	for p.left > 0 {
		if err := fiber.Suspend(ctx, "Pipeline.Wait", func(w fiber.Waiter) { p.waiters = append(p.waiters, w) }); err != nil {
			return err
		}
	}
	return p.last().err
}

// Done returns a future that settles as Wait returns, with the last
// command's State or error (see Cmd.Done): for code on the loop that is
// not a fiber.
// It panics before Start.
func (p *Pipeline) Done() *future.Future[*State] {
	if p.l == nil {
		panic("process: Done before Start")
	}
	if p.done == nil {
		f, pr := future.New[*State](p.l)
		p.done, p.promise = f, &pr
		if p.left == 0 {
			last := p.last()
			pr.Settle(last.ProcessState, last.err)
		}
	}
	return p.done
}

// Run starts the pipeline on the calling fiber's loop and waits for it.
func (p *Pipeline) Run(ctx context.Context) error {
	if err := p.Start(ctx); err != nil {
		return err
	}
	return p.Wait()
}

// Output runs the pipeline and returns the last command's standard
// output, which must be unset.
func (p *Pipeline) Output(ctx context.Context) ([]byte, error) {
	if len(p.Cmds) == 0 {
		return nil, errors.New("process: empty pipeline")
	}
	last := p.last()
	if last.Stdout != nil || last.user[1].r != nil {
		return nil, errors.New("process: Stdout already set")
	}
	var b bytes.Buffer
	last.Stdout = &b
	err := p.Run(ctx)
	return b.Bytes(), err
}
