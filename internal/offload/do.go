package offload

import "github.com/weftio/weft/loop"

// Do runs work on a worker of p and then runs then on l, as a task Posted to
// it: the bridge that lets code on a loop call something that blocks without
// blocking the loop. It returns at once; call it from any goroutine, usually
// from a task on l.
//
// then runs at most once, always on l, never inside Do, and with:
//
//   - nil, once work has returned;
//   - work's panic as an error (*panics.ErrRecovered from
//     github.com/sourcegraph/conc/panics, with the stack of the panic,
//     recovered on the worker before it unwinds), or an error saying work
//     called runtime.Goexit; the pool's panic policy is not applied;
//   - ErrClosed, without work running, if p is closed.
//
// Do returns an error only when then will never run: p refused work and l
// refused then too; the error is l's (loop.ErrClosed). When Do returns nil,
// then runs exactly once, unless l is stopped before work finishes: then is
// dropped with the loop, as is every task Posted to a stopped loop (the
// state it would touch belongs to the loop and is gone). Do panics if work
// or then is nil.
func Do(p *Pool, l *loop.Loop, work func(), then func(err error)) error {
	if work == nil || then == nil {
		panic("offload: nil func")
	}
	err := p.submit(task{fn: work, done: func(err error) {
		// Post fails only once l is stopped; see above.
		_ = l.Post(func() { then(err) })
	}})
	if err == nil {
		return nil
	}
	return l.Post(func() { then(err) })
}
