// Package simtest runs weft code as a deterministic simulation, for tests:
// a fiber program on one loop, on virtual time, with a scheduler seeded by
// a number that decides the order of everything ready at the same moment.
// Repeat a test under many seeds to try many orders; a seed that fails
// replays exactly, as often as needed, under a debugger or with more logs.
//
//	func TestCache(t *testing.T) {
//		simtest.Seeds(t, 100, func(ctx context.Context) error {
//			// start fibers, use weft/sync and futures, return an error
//			// when an invariant does not hold
//		})
//	}
//
// A failure names the seed and the command that replays it alone:
//
//	simtest: seed 37 (of 1..100) failed: cache: stale read of "k"
//		replay: WEFT_SIM_SEED=37 go test -run '^TestCache$' /path/to/pkg
//		the replay failed again, with the same error
//
// # What the seed decides
//
// Run and Seeds run main as the main fiber of fiber.Run on a loop made
// with loop.WithSimulation: virtual time starting at 2000-01-01 00:00 UTC
// (a Sleep of an hour takes microseconds), and a seeded choice among
//
//   - the fibers ready to run: started by fiber.Go or a Group, or woken
//     from a wait (a future, Sleep, a lock, a Chan), in any order;
//   - the timers due at the same virtual instant (two Sleeps of the same
//     length, a Delay and a Timeout that end together).
//
// It keeps every order that fibers, futures and sync promise: a fiber that
// calls fiber.Yield runs after those that were ready before it; tasks
// queued with loop.Schedule run in order; earlier deadlines fire first; a
// future's reactions run in registration order and all reactions run
// first in, first out (Race, Any and All see their inputs settle in the
// order they did); sync primitives hand locks, units and values to their
// first waiter. So a test that fails under some seed has found an order
// that weft allows and a real run may take one day, not an artefact of
// the simulator. A plain run takes one order only (first ready, first
// run); code that passes only because of it has a latent ordering bug.
//
// # What stays outside
//
// The simulation controls the loop, not the world. Real I/O (sockets,
// files), work of other goroutines that reaches the loop (future.Offload,
// fiber.Blocking, a future settled elsewhere, a Post) and real-time
// contexts (context.WithTimeout: use fiber.Sleep, future.Timeout or
// future.Delay, which run on the loop's clock) make a run depend on when
// they happen, and a seed may then not replay. Seeds checks: it runs a
// failing seed a second time and says whether the failure came back.
// Cancellation made on the loop (a Group's first error, a cancel func
// called by a fiber) is inside: the fibers it wakes are woken right after
// the job that cancelled, whatever context.AfterFunc's goroutine does.
//
// # Choosing seeds
//
// Seeds runs seeds 1 to n in order, so a test is the same on every run and
// every machine; it stops at the first seed that fails. Two environment
// variables change that without editing the test: WEFT_SIM_SEED=s runs
// only seed s (decimal, or hex with 0x), to replay a failure;
// WEFT_SIM_SEEDS=n runs seeds 1 to n instead, to search longer (say
// WEFT_SIM_SEEDS=100000 overnight); WEFT_SIM_SEED wins if both are set,
// and an empty value counts as unset. Both apply to every Seeds call of
// the test binary: use -run to pick the test.
//
// # Costs
//
// One run makes a loop (two fds), runs main and closes the loop: on the
// shared 2-core machine of docs/benchmarks.md, about 75 µs for a single
// fiber, 145 µs for 8 fibers that yield 8 times each (110 µs without
// simulation), 1.2 ms for 64 such fibers (0.46 ms): each choice scans the
// ready jobs (BenchmarkRun). A hundred seeds of the workloads of weft's
// sync tests take 10 to 60 ms per test. A build with the weft_nodebug
// tag has no simulation: Run returns loop.ErrNoSimulation.
package simtest
