package fiber

import "context"

// A Group runs fibers as one task: Wait returns once all of them are done,
// the first error cancels the others' context, and Wait returns that
// error. It is the structured-concurrency scope of weft: a fiber that
// starts work in a Group cannot return before the work is done unless it
// skips Wait, and then Run still waits for it.
//
// A child's panic is an error like any other: it cancels the siblings and
// Wait returns it, as a *panics.ErrRecovered carrying the child's stack.
// It is not re-raised in the waiting fiber: that would only be recovered
// one level up and become an error there, with the waiter's stack on top
// of the child's (conc re-panics in Wait; errgroup returns; weft returns,
// since on a loop a panic that escapes is an error anyway).
type Group struct {
	parent *fiber
	ctx    context.Context
	cancel context.CancelCauseFunc
	n      int
	err    error
	waiter Waiter // Wait's, while it waits; the zero Waiter wakes nothing
}

// NewGroup returns a Group whose fibers run under a context derived from
// ctx, and that context: it is cancelled, with the first error as its
// cause, when a child fails, and when Wait returns. Only a fiber may call
// NewGroup, and only that fiber may call Wait.
func NewGroup(ctx context.Context) (*Group, context.Context) {
	fb := current(ctx, "NewGroup")
	gctx, cancel := context.WithCancelCause(ctx)
	return &Group{parent: fb, ctx: gctx, cancel: cancel}, gctx
}

// Go starts fn as a fiber of the group, with the group's context. Any
// fiber of the loop may call it.
func (g *Group) Go(fn func(ctx context.Context) error) {
	if fn == nil {
		panic("fiber: Group.Go with a nil func")
	}
	if !g.parent.s.l.OnLoop() {
		panic("fiber: Group.Go called from outside the group's loop")
	}
	g.n++
	c := &groupFiber{g: g, fn: fn}
	g.parent.s.start(&c.fiber, g.ctx, c)
}

// groupFiber is a fiber started by Group.Go, in one allocation with its
// function.
type groupFiber struct {
	fiber
	g  *Group
	fn func(ctx context.Context) error
}

func (c *groupFiber) run(fb *fiber) {
	defer c.end()
	c.done(fb.traced(c.fn(fb)))
}

// end recovers a panic of the fiber (see mainFiber.run).
func (c *groupFiber) end() {
	if v := recover(); v != nil && v != errKilled { //nolint: a sentinel value
		c.done(c.tracedPanic(recovered(v)))
	}
}

func (c *groupFiber) done(err error) {
	g := c.g
	if err != nil && g.err == nil {
		g.err = err
		g.cancel(err)
	}
	if g.n--; g.n == 0 {
		g.waiter.Wake()
	}
}

func (c *groupFiber) entry() uintptr { return funcPC(c.fn) }

// Wait parks the fiber that made the group until every fiber of the group
// is done, cancels the group's context, and returns the first error.
// Wait is not cancellable: a scope waits for its children, who see the
// group's context cancelled if the parent's is.
func (g *Group) Wait() error {
	fb := current(g.parent, "Group.Wait")
	for g.n > 0 {
		g.waiter = fb.waiter()
		_ = fb.park("Group.Wait")
		g.waiter = Waiter{}
	}
	g.cancel(context.Canceled)
	return g.err
}
