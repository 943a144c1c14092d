//go:build !weft_nodebug

package sync_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/simtest"
	wsync "github.com/weftio/weft/sync"
)

// The tests in this file run a workload of each primitive under simSeeds
// seeds of a deterministic simulation (package simtest): each seed runs
// the fibers in another order, and the primitive's promises (exclusion,
// first in first out, no lost or doubled value) must hold in every one.
// Each test also checks that the seeds did make different schedules, so
// that a test cannot pass by trying one order many times.

const simSeeds = 100

// simRand returns the random source of a simulated workload: drawn from
// the seed, so that replaying a seed replays the workload too.
func simRand(ctx context.Context) *rand.Rand {
	seed, ok := simtest.Seed(ctx)
	if !ok {
		panic("simRand outside a simulation")
	}
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// simPause parks the calling fiber in one of the ways a real program
// does, chosen by r: not at all, a Yield, or a Sleep of 0 to 2 ms of
// virtual time (Sleeps that end together are ordered by the seed too).
func simPause(ctx context.Context, r *rand.Rand) error {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return fiber.Yield(ctx)
	default:
		return fiber.Sleep(ctx, time.Duration(r.IntN(3))*time.Millisecond)
	}
}

// simVariety fails t unless the runs (one per seed) gave at least half as
// many different schedules as there were runs.
func simVariety(t *testing.T, what string, runs int, schedules map[string]bool) {
	t.Helper()
	if len(schedules) < runs/2 {
		t.Errorf("%d seeds gave only %d different %s", runs, len(schedules), what)
	}
}

// TestSim_Mutex: six fibers lock a Mutex three times each, holding it
// across a park; one of them gives up some of its Locks by cancellation.
// At most one fiber holds the lock at any time, and the Locks that
// succeed are granted exactly in the order they were called.
func TestSim_Mutex(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		var (
			mu             wsync.Mutex
			holders        int
			calls, granted []string
			gaveUp         = map[string]bool{}
		)
		g, _ := fiber.NewGroup(ctx)
		for i := range 6 {
			g.Go(func(ctx context.Context) error {
				for round := range 3 {
					if err := simPause(ctx, r); err != nil {
						return err
					}
					id := fmt.Sprintf("%d.%d", i, round)
					lctx := ctx
					if i == 5 {
						var cancel context.CancelFunc
						lctx, cancel = context.WithCancel(ctx)
						defer cancel()
						pause := r.IntN(3)
						g.Go(func(ctx context.Context) error {
							for range pause {
								if err := fiber.Yield(ctx); err != nil {
									return err
								}
							}
							cancel()
							return nil
						})
					}
					calls = append(calls, id)
					if err := mu.Lock(lctx); err != nil {
						if !errors.Is(err, context.Canceled) {
							return fmt.Errorf("Lock %s: %w", id, err)
						}
						gaveUp[id] = true
						continue
					}
					granted = append(granted, id)
					if holders++; holders != 1 {
						return fmt.Errorf("%d fibers hold the mutex", holders)
					}
					if err := simPause(ctx, r); err != nil {
						return err
					}
					holders--
					mu.Unlock()
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		want := slices.DeleteFunc(slices.Clone(calls), func(id string) bool { return gaveUp[id] })
		if !slices.Equal(granted, want) {
			return fmt.Errorf("granted in the order %v, want the order of the calls %v", granted, want)
		}
		if !mu.TryLock() {
			return errors.New("the mutex is still held at the end")
		}
		runs++
		schedules[strings.Join(calls, " ")] = true
		return nil
	})
	simVariety(t, "orders of Lock calls", runs, schedules)
}

// TestSim_RWMutex: readers and writers of random kinds hold an RWMutex
// across parks. A writer holds it alone, readers only with readers; a
// writer gets it only once every call before it has had its turn and
// before any call after it, and a reader after every writer that called
// before it and before any writer that called after it.
func TestSim_RWMutex(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		type call struct {
			writer, granted bool
		}
		var (
			rw               wsync.RWMutex
			calls            []*call
			readers, writers int
			order            []string
		)
		// check is called when calls[a] is granted.
		check := func(a int) error {
			c := calls[a]
			for b, o := range calls {
				switch {
				case b < a && (c.writer || o.writer) && !o.granted:
					return fmt.Errorf("call %d granted before call %d, which came first", a, b)
				case b > a && (c.writer || o.writer) && o.granted:
					return fmt.Errorf("call %d granted after call %d, which came later", a, b)
				}
			}
			return nil
		}
		g, _ := fiber.NewGroup(ctx)
		for i := range 6 {
			g.Go(func(ctx context.Context) error {
				for range 3 {
					if err := simPause(ctx, r); err != nil {
						return err
					}
					c := &call{writer: r.IntN(3) == 0}
					a := len(calls)
					calls = append(calls, c)
					lock, unlock := rw.RLock, rw.RUnlock
					if c.writer {
						lock, unlock = rw.Lock, rw.Unlock
					}
					if err := lock(ctx); err != nil {
						return err
					}
					c.granted = true
					order = append(order, fmt.Sprintf("%d%v", i, c.writer))
					if err := check(a); err != nil {
						return err
					}
					if c.writer {
						writers++
					} else {
						readers++
					}
					if writers > 1 || writers == 1 && readers > 0 {
						return fmt.Errorf("%d writers and %d readers hold the lock", writers, readers)
					}
					if err := simPause(ctx, r); err != nil {
						return err
					}
					if c.writer {
						writers--
					} else {
						readers--
					}
					unlock()
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		runs++
		schedules[strings.Join(order, " ")] = true
		return nil
	})
	simVariety(t, "orders of grants", runs, schedules)
}

// semModel is what a Semaphore must do, step by step: free units, the
// queue of waiting calls first in first out, and the calls granted.
type semModel struct {
	free    int64
	queue   []semCall
	granted map[int]bool
}

type semCall struct {
	id int
	n  int64
}

func (m *semModel) acquire(id int, n int64) {
	if len(m.queue) == 0 && m.free >= n {
		m.free -= n
		m.granted[id] = true
		return
	}
	m.queue = append(m.queue, semCall{id, n})
}

func (m *semModel) release(n int64) {
	m.free += n
	for len(m.queue) > 0 && m.queue[0].n <= m.free {
		m.free -= m.queue[0].n
		m.granted[m.queue[0].id] = true
		m.queue = m.queue[1:]
	}
}

// TestSim_Semaphore: fibers acquire random weights of a Semaphore of 5
// units and hold them across parks. The units held never exceed 5, and
// every Acquire is granted exactly when a first-in-first-out model of
// the semaphore, fed the same calls, grants it: no call overtakes one
// that came before, even one that wants less.
func TestSim_Semaphore(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		const size = 5
		r := simRand(ctx)
		var (
			sem   = wsync.NewSemaphore(size)
			model = semModel{free: size, granted: map[int]bool{}}
			held  int64
			ids   int
			order []string
		)
		g, _ := fiber.NewGroup(ctx)
		for i := range 6 {
			g.Go(func(ctx context.Context) error {
				for range 3 {
					if err := simPause(ctx, r); err != nil {
						return err
					}
					n := 1 + r.Int64N(size)
					id := ids
					ids++
					model.acquire(id, n) // the same step as the call below: nothing runs in between
					if err := sem.Acquire(ctx, n); err != nil {
						return err
					}
					if !model.granted[id] {
						return fmt.Errorf("Acquire(%d) of fiber %d granted before calls that came first (queue %v)", n, i, model.queue)
					}
					order = append(order, fmt.Sprintf("%d:%d", i, n))
					if held += n; held > size {
						return fmt.Errorf("%d units held, of %d", held, size)
					}
					if err := simPause(ctx, r); err != nil {
						return err
					}
					held -= n
					sem.Release(n)
					model.release(n)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if len(model.queue) != 0 || model.free != size || !sem.TryAcquire(size) {
			return fmt.Errorf("not all units back at the end: model free %d, queue %v", model.free, model.queue)
		}
		runs++
		schedules[strings.Join(order, " ")] = true
		return nil
	})
	simVariety(t, "orders of grants", runs, schedules)
}

// TestSim_Chan: three producers send numbered values through a Chan of a
// capacity drawn from the seed (0, a rendezvous, to 3) to one or two
// consumers, and close it when all are sent. Every value is received once;
// with one consumer, values come out exactly in the order their Sends
// began; with two, each consumer sees them in that order.
func TestSim_Chan(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		var (
			ch       = wsync.NewChan[string](r.IntN(4))
			began    []string
			received = map[string]int{}
			perCons  = make([][]string, 1+r.IntN(2))
		)
		producers, _ := fiber.NewGroup(ctx)
		for p := range 3 {
			producers.Go(func(ctx context.Context) error {
				for k := range 4 {
					if err := simPause(ctx, r); err != nil {
						return err
					}
					v := fmt.Sprintf("%d.%d", p, k)
					began = append(began, v)
					if err := ch.Send(ctx, v); err != nil {
						return err
					}
				}
				return nil
			})
		}
		consumers, _ := fiber.NewGroup(ctx)
		for c := range perCons {
			consumers.Go(func(ctx context.Context) error {
				for {
					v, ok, err := ch.Recv(ctx)
					if err != nil {
						return err
					}
					if !ok {
						return nil
					}
					received[v]++
					perCons[c] = append(perCons[c], v)
					if err := simPause(ctx, r); err != nil {
						return err
					}
				}
			})
		}
		if err := producers.Wait(); err != nil {
			return err
		}
		ch.Close()
		if err := consumers.Wait(); err != nil {
			return err
		}
		if len(received) != 12 {
			return fmt.Errorf("received %d distinct values, want 12: %v", len(received), received)
		}
		for v, n := range received {
			if n != 1 {
				return fmt.Errorf("value %s received %d times", v, n)
			}
		}
		for c, got := range perCons {
			// got must be a subsequence of began, in order.
			rest := began
			for _, v := range got {
				i := slices.Index(rest, v)
				if i < 0 {
					return fmt.Errorf("consumer %d received %v, out of the order the Sends began: %v", c, got, began)
				}
				rest = rest[i+1:]
			}
		}
		runs++
		schedules[strings.Join(began, " ")] = true
		return nil
	})
	simVariety(t, "orders of Sends", runs, schedules)
}

// TestSim_WaitGroup: workers, some of which start more work (Add) before
// they are Done, and waiters that Wait at random moments. A Wait returns
// only once every unit of work counted so far is done, and every waiter
// returns.
func TestSim_WaitGroup(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		var (
			wg          wsync.WaitGroup
			added, done int
			log         []string
		)
		g, _ := fiber.NewGroup(ctx)
		var work func(id string, depth int)
		work = func(id string, depth int) {
			wg.Add(1)
			added++
			g.Go(func(ctx context.Context) error {
				defer func() { done++; wg.Done() }()
				if err := simPause(ctx, r); err != nil {
					return err
				}
				if depth < 2 && r.IntN(2) == 0 {
					work(id+"+", depth+1) // counted before this one is done
				}
				log = append(log, "done "+id)
				return simPause(ctx, r)
			})
		}
		for i := range 5 {
			work(fmt.Sprint(i), 0)
		}
		for i := range 3 {
			g.Go(func(ctx context.Context) error {
				if err := simPause(ctx, r); err != nil {
					return err
				}
				if err := wg.Wait(ctx); err != nil {
					return err
				}
				if done != added {
					return fmt.Errorf("waiter %d returned with %d of %d done", i, done, added)
				}
				log = append(log, fmt.Sprint("waited ", i))
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if waited := strings.Count(strings.Join(log, "\n"), "waited"); waited != 3 {
			return fmt.Errorf("%d of 3 waiters returned", waited)
		}
		runs++
		schedules[strings.Join(log, " ")] = true
		return nil
	})
	simVariety(t, "schedules", runs, schedules)
}

// TestSim_Once: fibers call Do at random moments with a fn that parks and
// fails on some runs. fn never runs twice at once, it runs until one run
// succeeds and never after, and the fibers that run it do so in the order
// they called Do.
func TestSim_Once(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		var (
			once             wsync.Once
			calls, ran       []int
			running, success int
		)
		g, _ := fiber.NewGroup(ctx)
		for i := range 6 {
			g.Go(func(ctx context.Context) error {
				if err := simPause(ctx, r); err != nil {
					return err
				}
				calls = append(calls, i)
				err := once.Do(ctx, func(ctx context.Context) error {
					ran = append(ran, i)
					if running++; running != 1 {
						return fmt.Errorf("%d runs of fn at once", running)
					}
					defer func() { running-- }()
					if success > 0 {
						return errors.New("fn ran after a success")
					}
					if err := simPause(ctx, r); err != nil {
						return err
					}
					if r.IntN(2) == 0 {
						return errFailed
					}
					success++
					return nil
				})
				if err != nil && !errors.Is(err, errFailed) {
					return err
				}
				if err == nil && success != 1 {
					return fmt.Errorf("Do returned nil with %d successful runs", success)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if len(ran) > len(calls) || !slices.Equal(ran, calls[:len(ran)]) {
			return fmt.Errorf("fn ran for %v, want a prefix of the calls %v", ran, calls)
		}
		runs++
		schedules[fmt.Sprint(calls, ran)] = true
		return nil
	})
	simVariety(t, "schedules", runs, schedules)
}

var errFailed = errors.New("fn failed")

// TestSim_Event: waiters park on an Event that a setter raises and at
// once lowers again: every fiber that waited when it was raised returns
// nil, whatever runs before it.
func TestSim_Event(t *testing.T) {
	runs, schedules := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		var (
			ev    wsync.Event
			woken []int
		)
		g, _ := fiber.NewGroup(ctx)
		for i := range 5 {
			g.Go(func(ctx context.Context) error {
				if err := ev.Wait(ctx); err != nil {
					return err
				}
				woken = append(woken, i)
				return nil
			})
		}
		g.Go(func(ctx context.Context) error {
			if err := simPause(ctx, r); err != nil {
				return err
			}
			// Sleep past every Yield and 2 ms pause: all waiters parked.
			if err := fiber.Sleep(ctx, 5*time.Millisecond); err != nil {
				return err
			}
			ev.Set()
			ev.Clear()
			return nil
		})
		if err := g.Wait(); err != nil {
			return err
		}
		if len(woken) != 5 {
			return fmt.Errorf("%d of 5 waiters returned", len(woken))
		}
		runs++
		schedules[fmt.Sprint(woken)] = true
		return nil
	})
	simVariety(t, "orders of wake-ups", runs, schedules)
}
