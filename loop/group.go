package loop

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// A Group runs several loops, each on a goroutine of its own, normally one
// per core. Its methods are safe from any goroutine.
type Group struct {
	loops []*Loop
	next  atomic.Uint64
	wg    sync.WaitGroup
	errs  []error // Run's result per loop, read after wg.Wait
	once  sync.Once
	err   error
}

// NewGroup makes n loops with the same options and starts each one's Run on
// a new goroutine. n < 1 means runtime.GOMAXPROCS(0). WithPoller cannot be
// used with a group. If a loop cannot be made, the ones already started are
// closed and the error is returned.
func NewGroup(n int, opts ...Option) (*Group, error) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.poller != nil {
		return nil, errors.New("loop: WithPoller cannot be shared by a group")
	}
	g := &Group{loops: make([]*Loop, 0, n), errs: make([]error, n)}
	for i := 0; i < n; i++ {
		l, err := New(opts...)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("loop: group of %d: %w", n, err)
		}
		g.loops = append(g.loops, l)
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.errs[i] = l.Run()
		}()
	}
	return g, nil
}

// Len returns the number of loops.
func (g *Group) Len() int { return len(g.loops) }

// Loop returns the i-th loop, 0 <= i < Len.
func (g *Group) Loop(i int) *Loop { return g.loops[i] }

// Next returns the loops in turn, round-robin.
func (g *Group) Next() *Loop {
	return g.loops[(g.next.Add(1)-1)%uint64(len(g.loops))]
}

// Close stops every loop, waits for all of them to return and releases their
// resources. It returns the errors of their Runs and Closes, joined. Later
// calls return the same result. Not from one of the group's loops.
func (g *Group) Close() error {
	g.once.Do(func() {
		var errs []error
		for _, l := range g.loops {
			l.Stop()
		}
		for _, l := range g.loops {
			errs = append(errs, l.Close())
		}
		g.wg.Wait()
		errs = append(errs, g.errs...)
		g.err = errors.Join(errs...)
	})
	return g.err
}
