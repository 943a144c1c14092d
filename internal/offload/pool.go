package offload

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sourcegraph/conc/panics"
)

// ErrClosed is returned by Submit once Close has been called. It is
// net.ErrClosed, the same sentinel as loop.ErrClosed, so one
// errors.Is(err, net.ErrClosed) covers a refusal by either.
var ErrClosed = net.ErrClosed

// errGoexit is what a function that calls runtime.Goexit (as
// testing.T.FailNow does) is reported as. Goexit cannot be stopped, so the
// worker goroutine ends; the pool starts a replacement if work is queued.
var errGoexit = errors.New("offload: function called runtime.Goexit")

// A Pool runs functions on at most a fixed number of worker goroutines, in
// the order they were submitted. Workers exist only while there is work: an
// idle pool holds no goroutine. See the package documentation for who may
// call what.
type Pool struct {
	limit   int
	onPanic func(error)

	mu        sync.Mutex
	queue     queue // non-empty only while workers == limit
	workers   int   // worker goroutines started and not yet gone
	started   uint64
	maxQueued int
	closed    bool
	panicErr  error          // the first panic, kept for Close when onPanic is nil
	wg        sync.WaitGroup // one count per worker goroutine

	busy   atomic.Int64
	done   atomic.Uint64
	panics atomic.Uint64
}

// task is a function and, for Do, where its outcome goes.
type task struct {
	fn func()
	// done, if set, receives the outcome of fn (nil, or its panic as an
	// error) on the worker, and the pool's panic policy is not applied.
	done func(error)
}

// An Option configures a Pool made by New.
type Option func(*Pool)

// WithPanicHandler sets h to receive every panic of a function run through
// Submit, as an error carrying the panic's value and stack
// (*panics.ErrRecovered from github.com/sourcegraph/conc/panics); a function
// that calls runtime.Goexit is reported too. h runs on the worker goroutine
// that caught the panic, so it may run concurrently with itself. Without a
// handler the pool keeps the first panic and Close returns it. Either way
// the pool goes on running the rest of its work.
func WithPanicHandler(h func(error)) Option {
	return func(p *Pool) { p.onPanic = h }
}

// New makes a pool that runs at most workers functions at once. A workers
// below 1 means max(4, runtime.GOMAXPROCS(0)): offloaded functions mostly
// wait in the kernel rather than use a CPU, and four is libuv's default.
// New starts no goroutine. The pool is safe for use from any goroutine.
func New(workers int, opts ...Option) *Pool {
	if workers < 1 {
		workers = max(4, runtime.GOMAXPROCS(0))
	}
	p := &Pool{limit: workers}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Submit queues fn to run on a worker goroutine and returns without waiting
// for it; functions start in the order they were submitted. Submit never
// waits for work to finish or for room in the queue (the queue is
// unbounded: a loop calls Submit, and a loop must not block), only for the
// pool's mutex, which every holder keeps for a few instructions. If fewer
// than the maximum of workers are running, Submit starts one and hands it
// fn, which costs a goroutine start (a few hundred ns) and, once the
// worker exists, nothing more per function while the queue stays non-empty.
//
// Submit returns ErrClosed, and fn never runs, once Close has been called.
// A panic in fn is recovered on the worker and handled as WithPanicHandler
// describes. Submit panics if fn is nil.
func (p *Pool) Submit(fn func()) error {
	if fn == nil {
		panic("offload: nil func")
	}
	return p.submit(task{fn: fn})
}

func (p *Pool) submit(t task) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.workers < p.limit {
		// The queue is empty here: it grows only while every worker is
		// running, and a worker leaves only once it is empty. So handing t
		// straight to a new worker keeps the order, and saves that worker
		// a trip through the mutex. (Letting the new worker pop t instead
		// would save the 32-byte closure of this go statement but measured
		// slower, and made Queued count work that was already taken.)
		p.startLocked()
		p.mu.Unlock()
		go p.work(t)
		return nil
	}
	p.queue.push(t)
	p.maxQueued = max(p.maxQueued, p.queue.len())
	p.mu.Unlock()
	return nil
}

// startLocked counts a worker about to be started. The WaitGroup is added to
// under the mutex, before closed can be seen set, so Close's Wait never
// races with an Add from zero.
func (p *Pool) startLocked() {
	p.workers++
	p.started++
	p.wg.Add(1)
}

// work is a worker goroutine: it runs t, then the head of the queue, until
// the queue is empty, and exits.
func (p *Pool) work(t task) {
	defer p.wg.Done()
	for {
		p.run(t)
		var ok bool
		if t, ok = p.next(); !ok {
			return
		}
	}
}

// next takes the head of the queue, or, if there is none, counts the calling
// worker out; the worker must then exit.
func (p *Pool) next() (task, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.queue.pop()
	if !ok {
		p.workers--
	}
	return t, ok
}

// run runs t.fn and reports its outcome. The recover sits in run's deferred
// function, the frame just below fn, because only there is the panicking
// stack still in place for panics.NewRecovered to record; a recover further
// out would report where it caught the panic, not where it happened.
func (p *Pool) run(t task) {
	p.busy.Add(1)
	returned := false
	defer func() {
		var err error
		if v := recover(); v != nil {
			r := panics.NewRecovered(1, v)
			err = r.AsError()
		} else if !returned {
			err = errGoexit
		}
		p.busy.Add(-1)
		if err != nil {
			p.panics.Add(1)
		}
		p.report(t, err)
		p.done.Add(1)
		if err == errGoexit {
			p.goexit()
		}
	}()
	t.fn()
	returned = true
}

func (p *Pool) report(t task, err error) {
	switch {
	case t.done != nil:
		t.done(err)
	case err == nil:
	case p.onPanic != nil:
		p.onPanic(err)
	default:
		p.mu.Lock()
		if p.panicErr == nil {
			p.panicErr = err
		}
		p.mu.Unlock()
	}
}

// goexit counts out a worker whose goroutine is ending in runtime.Goexit
// and, if work is queued, starts a replacement: otherwise a pool whose only
// worker exited this way would strand its queue. The replacement is added
// to the WaitGroup before the dying worker's Done, so Close cannot return
// in between.
func (p *Pool) goexit() {
	p.mu.Lock()
	p.workers--
	t, ok := p.queue.pop()
	if ok {
		p.startLocked()
	}
	p.mu.Unlock()
	if ok {
		go p.work(t)
	}
}

// Close stops the pool accepting work, waits until every function accepted
// before has run and every worker goroutine has exited, and returns the
// first panic of a function run through Submit when no panic handler is
// set (nil otherwise, and on later calls). Close blocks: call it from the
// pool's owner, never from a function running on the pool (it would wait for
// itself) and, unless the loop may stall for that long, not from a loop.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
	p.mu.Lock()
	err := p.panicErr
	p.panicErr = nil
	p.mu.Unlock()
	return err
}

// Stats are a pool's figures, read together under the pool's mutex except
// Busy, Done and Panics, which are counted without it.
type Stats struct {
	Workers   int    // worker goroutines running now; 0 when the pool is idle
	Busy      int    // functions running now
	Queued    int    // functions waiting for a worker
	MaxQueued int    // the largest Queued since New: the size a bound would have needed
	Started   uint64 // worker goroutines started since New
	Done      uint64 // functions that have finished, by returning or panicking
	Panics    uint64 // functions that panicked or called runtime.Goexit, Do's included
}

// Stats returns the pool's figures. Safe from any goroutine.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	s := Stats{
		Workers:   p.workers,
		Queued:    p.queue.len(),
		MaxQueued: p.maxQueued,
		Started:   p.started,
	}
	p.mu.Unlock()
	s.Busy = int(p.busy.Load())
	s.Done = p.done.Load()
	s.Panics = p.panics.Load()
	return s
}

// Shared returns weft's own offload pool, the one behind future.Offload,
// fiber.Blocking and package fs's worker back-end: at most max(4,
// GOMAXPROCS) workers, none while idle, so it needs no Close.
var Shared = sync.OnceValue(func() *Pool { return New(0) })
