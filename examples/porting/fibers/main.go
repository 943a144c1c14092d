// Command fibers is ../callbacks ported to fibers: the same program
// written top to bottom, one fiber per file and one per item, with plain
// `if err != nil`, a for loop for the retry, and fiber.Group where the
// callbacks counted. The price service keeps its callback API and is
// awaited through the future adapter of ../futures; the file read, a
// blocking call underneath, goes to fiber.Blocking and needs no adapter.
// docs/porting.md walks through the changes; the report is the same.
//
//	go run ./examples/porting/fibers
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/weftio/weft/examples/porting/internal/app"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fibers:", err)
		os.Exit(1)
	}
}

// run prices every input file and writes the report to w.
func run(w io.Writer) error {
	dir, err := app.WriteInputs()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// fiber.Run makes the loop, runs the main fiber on it and returns
	// when every fiber is done. The report is written after it returns:
	// a write to w may block, and a fiber must never block its thread.
	var report string
	err = fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		p := &pricer{l: l, files: app.NewFiles(l, dir), prices: app.NewPrices(l)}
		lines, err := p.priceAll(ctx, app.Inputs())
		report = app.Format(lines, p.prices.Stats())
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, report)
	return err
}

// pricer is the program's state; only fibers of one loop touch it, one at
// a time, so it needs no lock.
type pricer struct {
	l      *loop.Loop
	files  *app.Files
	prices *app.Prices
}

// priceAll prices every file at once, a fiber each. A file's failure is
// its Line, not the group's error, so one bad file cancels no other.
func (p *pricer) priceAll(ctx context.Context, names []string) ([]app.Line, error) {
	lines := make([]app.Line, len(names))
	g, _ := fiber.NewGroup(ctx)
	for i, name := range names {
		g.Go(func(ctx context.Context) error {
			lines[i] = p.priceFile(ctx, name)
			return nil
		})
	}
	return lines, g.Wait()
}

// priceFile reads a file, parses it and prices its items.
func (p *pricer) priceFile(ctx context.Context, name string) app.Line {
	data, err := fiber.Blocking(ctx, func(context.Context) ([]byte, error) {
		return p.files.Read(name)
	})
	if err != nil {
		return app.Line{Name: name, Err: err}
	}
	items, err := app.Parse(data)
	if err != nil {
		return app.Line{Name: name, Err: err}
	}
	amounts, err := p.priceItems(ctx, items)
	if err != nil {
		return app.Line{Name: name, Err: err}
	}
	return app.Sum(name, items, amounts)
}

// priceItems prices every item at once, a fiber each. The first error
// cancels the others (their context is the group's) and is returned.
func (p *pricer) priceItems(ctx context.Context, items []app.Item) ([]int, error) {
	amounts := make([]int, len(items))
	g, _ := fiber.NewGroup(ctx)
	for i, it := range items {
		g.Go(func(ctx context.Context) error {
			cents, err := p.lookup(ctx, it.SKU)
			amounts[i] = cents * it.Qty
			return err
		})
	}
	return amounts, g.Wait()
}

// lookup prices one unit of sku with the policy of ../callbacks: up to
// app.Attempts attempts, each within app.Timeout, app.Backoff apart and
// doubling, retrying only what app.Retryable accepts.
func (p *pricer) lookup(ctx context.Context, sku string) (int, error) {
	wait := app.Backoff
	for n := 1; ; n++ {
		cents, err := fiber.Await(ctx, future.Timeout(p.price(sku), app.Timeout))
		if err == nil || n == app.Attempts || !app.Retryable(err) {
			return cents, err
		}
		if err := fiber.Sleep(ctx, wait); err != nil {
			return 0, err
		}
		wait *= 2
	}
}

// price is the price service's callback API adapted to a future, exactly
// as in ../futures; a fiber runs on the loop, as Prices.Lookup requires.
func (p *pricer) price(sku string) *future.Future[int] {
	return future.FromCallback(p.l, func(cb func(int, error)) {
		p.prices.Lookup(sku, cb)
	})
}
