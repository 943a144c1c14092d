//go:build !weft_nodebug

package future_test

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
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/simtest"
)

// The tests in this file check the ordering promises of futures and their
// combinators under simSeeds seeds of a deterministic simulation (package
// simtest): each seed settles the inputs in another order (fibers that
// park at random, timers that end at the same instant), and what All,
// Race, Any, AllSettled and reactions promise about that order must hold
// in every one. Each test checks too that the seeds made different
// orders, so that it cannot pass by trying one order many times.

const simSeeds = 200

// simRand returns the random source of a simulated workload, drawn from
// the seed so that a replayed seed replays the workload too.
func simRand(ctx context.Context) *rand.Rand {
	seed, ok := simtest.Seed(ctx)
	if !ok {
		panic("simRand outside a simulation")
	}
	return rand.New(rand.NewPCG(seed, 0xf00d))
}

// simInput is one input of a combinator under test.
type simInput struct {
	f   *future.Future[int]
	err error // its rejection, nil if it is fulfilled
}

// simInputs makes n futures that settle in an order the seed decides: half
// by fibers that park at random (Yields, Sleeps that end together) and
// then resolve or reject, the rest by Delays that end at the same instant
// as some of those Sleeps. Each input's first reaction appends its index
// to *settled, so *settled is the order in which the inputs settled:
// reactions run first in, first out, so the first reaction of a future
// runs before any other reaction of any future settled later.
func simInputs(ctx context.Context, r *rand.Rand, n int, settled *[]int) []simInput {
	l := fiber.Loop(ctx)
	in := make([]simInput, n)
	for i := range in {
		if i%2 == 1 {
			in[i].f = future.Delay(l, time.Duration(r.IntN(2))*time.Millisecond, i)
		} else {
			f, p := future.New[int](l)
			in[i].f = f
			if r.IntN(3) == 0 {
				in[i].err = fmt.Errorf("input %d failed", i)
			}
			err := in[i].err
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				for range r.IntN(3) {
					if err := fiber.Yield(ctx); err != nil {
						return struct{}{}, err
					}
				}
				if err := fiber.Sleep(ctx, time.Duration(r.IntN(2))*time.Millisecond); err != nil {
					return struct{}{}, err
				}
				p.Settle(i, err)
				return struct{}{}, nil
			})
		}
		in[i].f.OnSettled(func(int, error) { *settled = append(*settled, i) })
	}
	return in
}

func futuresOf(in []simInput) []*future.Future[int] {
	fs := make([]*future.Future[int], len(in))
	for i, x := range in {
		fs[i] = x.f
	}
	return fs
}

// simDrain waits for every input to settle, so that no fiber is left
// behind when main returns.
func simDrain(ctx context.Context, in []simInput) {
	for _, x := range in {
		_, _ = fiber.Await(ctx, x.f)
	}
}

func simVariety(t *testing.T, runs int, orders map[string]bool) {
	t.Helper()
	if len(orders) < runs/4 {
		t.Errorf("%d seeds settled the inputs in only %d orders", runs, len(orders))
	}
}

// TestSim_All: All is fulfilled with the values in input order, whatever
// the order they settled in, or rejected with the rejection that came
// first in time.
func TestSim_All(t *testing.T) {
	runs, orders := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		var settled []int
		in := simInputs(ctx, simRand(ctx), 6, &settled)
		vs, err := fiber.Await(ctx, future.All(fiber.Loop(ctx), futuresOf(in)))
		simDrain(ctx, in)
		var first error
		for _, i := range settled {
			if in[i].err != nil {
				first = in[i].err
				break
			}
		}
		switch {
		case first != nil && err != first:
			return fmt.Errorf("All rejected with %v, want the first rejection %v (settled in order %v)", err, first, settled)
		case first == nil && (err != nil || !slices.Equal(vs, []int{0, 1, 2, 3, 4, 5})):
			return fmt.Errorf("All = %v, %v; want the values in input order", vs, err)
		}
		runs++
		orders[fmt.Sprint(settled)] = true
		return nil
	})
	simVariety(t, runs, orders)
}

// TestSim_Race: Race settles like the input that settled first.
func TestSim_Race(t *testing.T) {
	runs, orders := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		var settled []int
		in := simInputs(ctx, simRand(ctx), 6, &settled)
		v, err := fiber.Await(ctx, future.Race(fiber.Loop(ctx), futuresOf(in)))
		simDrain(ctx, in)
		first := settled[0]
		if want := in[first].err; err != want || want == nil && v != first {
			return fmt.Errorf("Race = %v, %v; want input %d's outcome, which settled first (order %v)", v, err, first, settled)
		}
		runs++
		orders[fmt.Sprint(settled)] = true
		return nil
	})
	simVariety(t, runs, orders)
}

// TestSim_Any: Any is fulfilled with the input fulfilled first, or, when
// every input is rejected, rejected with all their errors in input order.
func TestSim_Any(t *testing.T) {
	runs, orders, allRejected := 0, map[string]bool{}, 0
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		var settled []int
		r := simRand(ctx)
		// Fibers' inputs only, rejected more often, so that every input
		// is rejected in some seeds.
		l := fiber.Loop(ctx)
		in := make([]simInput, 3)
		for i := range in {
			f, p := future.New[int](l)
			in[i].f = f
			if r.IntN(3) != 0 {
				in[i].err = fmt.Errorf("input %d failed", i)
			}
			err := in[i].err
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				if err := fiber.Sleep(ctx, time.Duration(r.IntN(2))*time.Millisecond); err != nil {
					return struct{}{}, err
				}
				p.Settle(i, err)
				return struct{}{}, nil
			})
			f.OnSettled(func(int, error) { settled = append(settled, i) })
		}
		v, err := fiber.Await(ctx, future.Any(l, futuresOf(in)))
		simDrain(ctx, in)
		firstOK := -1
		for _, i := range settled {
			if in[i].err == nil {
				firstOK = i
				break
			}
		}
		if firstOK >= 0 {
			if err != nil || v != firstOK {
				return fmt.Errorf("Any = %v, %v; want input %d, fulfilled first (order %v)", v, err, firstOK, settled)
			}
		} else {
			allRejected++
			var ae *future.AnyError
			if !errors.As(err, &ae) || len(ae.Errs) != 3 {
				return fmt.Errorf("Any rejected with %v, want an *AnyError of 3", err)
			}
			for i, e := range ae.Errs {
				if e != in[i].err {
					return fmt.Errorf("AnyError.Errs[%d] = %v, want %v (input order)", i, e, in[i].err)
				}
			}
		}
		runs++
		orders[fmt.Sprint(settled)] = true
		return nil
	})
	if runs > 10 && allRejected == 0 {
		t.Errorf("no seed of %d rejected every input", runs)
	}
	if len(orders) < min(runs, 6) { // 3 inputs: 3! orders
		t.Errorf("%d seeds settled the inputs in only %d orders", runs, len(orders))
	}
}

// TestSim_AllSettled: every outcome, in input order.
func TestSim_AllSettled(t *testing.T) {
	runs, orders := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		var settled []int
		in := simInputs(ctx, simRand(ctx), 6, &settled)
		rs, err := fiber.Await(ctx, future.AllSettled(fiber.Loop(ctx), futuresOf(in)))
		if err != nil {
			return err
		}
		for i, r := range rs {
			if r.Err != in[i].err || r.Err == nil && r.Value != i {
				return fmt.Errorf("AllSettled[%d] = %v, %v; want input %d's outcome", i, r.Value, r.Err, i)
			}
		}
		runs++
		orders[fmt.Sprint(settled)] = true
		return nil
	})
	simVariety(t, runs, orders)
}

// TestSim_ReactionOrder: fibers register reactions on three futures at
// random moments, some before and some after the future settles, and the
// futures settle in a seeded order. Each reaction runs once, and each
// future's reactions run in the order they were registered.
func TestSim_ReactionOrder(t *testing.T) {
	runs, orders := 0, map[string]bool{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		l := fiber.Loop(ctx)
		type fut struct {
			f          *future.Future[int]
			registered []int
			ran        []int
		}
		futs := make([]*fut, 3)
		var all []string
		g, _ := fiber.NewGroup(ctx)
		for k := range futs {
			f, p := future.New[int](l)
			futs[k] = &fut{f: f}
			g.Go(func(ctx context.Context) error {
				if err := fiber.Sleep(ctx, time.Duration(r.IntN(2))*time.Millisecond); err != nil {
					return err
				}
				p.Resolve(k)
				return nil
			})
		}
		reg := 0
		for w := range 4 {
			g.Go(func(ctx context.Context) error {
				for range 5 {
					if err := fiber.Sleep(ctx, time.Duration(r.IntN(3))*time.Millisecond); err != nil {
						return err
					}
					ft := futs[r.IntN(len(futs))]
					n := reg
					reg++
					ft.registered = append(ft.registered, n)
					ft.f.OnSettled(func(int, error) {
						ft.ran = append(ft.ran, n)
						all = append(all, fmt.Sprint(w, n))
					})
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		// Let the reactions registered last run.
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		for k, ft := range futs {
			if !slices.Equal(ft.ran, ft.registered) {
				return fmt.Errorf("future %d: reactions ran in the order %v, registered %v", k, ft.ran, ft.registered)
			}
		}
		runs++
		orders[strings.Join(all, " ")] = true
		return nil
	})
	simVariety(t, runs, orders)
}

// TestSim_Timeout: a future that settles before its timeout passes
// through, one that settles after is rejected with ErrTimeout, and one
// that settles at the very instant the timeout ends gets either outcome,
// decided by the seed (the timers are due together).
func TestSim_Timeout(t *testing.T) {
	tie := map[bool]int{}
	simtest.Seeds(t, simSeeds, func(ctx context.Context) error {
		r := simRand(ctx)
		l := fiber.Loop(ctx)
		d := time.Duration(9+r.IntN(3)) * time.Millisecond // 9, 10 or 11
		v, err := fiber.Await(ctx, future.Timeout(future.Delay(l, d, 1), 10*time.Millisecond))
		switch {
		case d < 10*time.Millisecond && (err != nil || v != 1):
			return fmt.Errorf("settled in %v, before the timeout: %v, %v", d, v, err)
		case d > 10*time.Millisecond && !errors.Is(err, future.ErrTimeout):
			return fmt.Errorf("settled in %v, after the timeout: %v, %v", d, v, err)
		case d == 10*time.Millisecond:
			if err != nil && !errors.Is(err, future.ErrTimeout) || err == nil && v != 1 {
				return fmt.Errorf("settled with the timeout: %v, %v", v, err)
			}
			tie[err == nil]++
		}
		return nil
	})
	if tie[true]+tie[false] > 20 && (tie[true] == 0 || tie[false] == 0) {
		t.Errorf("at a tie, the seeds always gave the same outcome: %v", tie)
	}
}
