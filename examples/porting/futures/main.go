// Command futures is ../callbacks ported to futures: each callback API is
// wrapped once with future.FromCallback, the nested success callbacks
// become Then, FlatMap and Map, the error callbacks become one Catch per
// file, the completion counters become All, and the hand-written timeout
// and retry become future.Timeout and future.Retry. docs/porting.md walks
// through the changes; the report is the same.
//
//	go run ./examples/porting/futures
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/weftio/weft/examples/porting/internal/app"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "futures:", err)
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

	l, err := loop.New()
	if err != nil {
		return err
	}
	go l.Run()
	defer l.Close()

	p := &pricer{l: l, files: app.NewFiles(l, dir), prices: app.NewPrices(l)}
	// The report is made on the loop, where the service's Stats may be
	// read; Wait carries it to this goroutine. A panic anywhere in the
	// pipeline would reject it, and Wait would return that.
	report := future.Map(p.priceAll(app.Inputs()), func(lines []app.Line) string {
		return app.Format(lines, p.prices.Stats())
	})
	r, err := report.Wait(context.Background())
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, r)
	return err
}

// pricer is the program's state; only the loop touches it.
type pricer struct {
	l      *loop.Loop
	files  *app.Files
	prices *app.Prices
}

// priceAll prices every file at once. Each file's future is never
// rejected (priceFile catches), so All waits for them all.
func (p *pricer) priceAll(names []string) *future.Future[[]app.Line] {
	lines := make([]*future.Future[app.Line], len(names))
	for i, name := range names {
		lines[i] = p.priceFile(name)
	}
	return future.All(p.l, lines)
}

// priceFile reads a file, parses it and prices its items. Its one Catch
// turns whatever failed, at any step, into the file's Line.
func (p *pricer) priceFile(name string) *future.Future[app.Line] {
	data := p.read(name)
	items := future.Then(data, app.Parse)
	line := future.FlatMap(items, func(items []app.Item) *future.Future[app.Line] {
		amounts := p.priceItems(items)
		return future.Map(amounts, func(amounts []int) app.Line {
			return app.Sum(name, items, amounts)
		})
	})
	return future.Catch(line, func(err error) (app.Line, error) {
		return app.Line{Name: name, Err: err}, nil
	})
}

// priceItems prices every item at once: the value of each, in item order,
// or the first error. All of no items is an empty slice, at once.
func (p *pricer) priceItems(items []app.Item) *future.Future[[]int] {
	amounts := make([]*future.Future[int], len(items))
	for i, it := range items {
		amounts[i] = future.Map(p.lookup(it.SKU), func(cents int) int {
			return cents * it.Qty
		})
	}
	return future.All(p.l, amounts)
}

// lookup prices one unit of sku with the policy of ../callbacks: up to
// app.Attempts attempts, each within app.Timeout, app.Backoff apart and
// doubling, retrying only what app.Retryable accepts.
func (p *pricer) lookup(sku string) *future.Future[int] {
	b := future.Backoff{Attempts: app.Attempts, Initial: app.Backoff, Retryable: app.Retryable}
	return future.Retry(p.l, b, func(int) *future.Future[int] {
		return future.Timeout(p.price(sku), app.Timeout)
	})
}

// read and price are the callback APIs, adapted: FromCallback calls start
// at once, on this goroutine, and the future settles when the callback is
// called (only its first call counts).
func (p *pricer) read(name string) *future.Future[[]byte] {
	return future.FromCallback(p.l, func(cb func([]byte, error)) {
		p.files.ReadAsync(name, cb)
	})
}

// price must be called on the loop, since Prices.Lookup must: it is, from
// Retry's attempt, which runs on the loop.
func (p *pricer) price(sku string) *future.Future[int] {
	return future.FromCallback(p.l, func(cb func(int, error)) {
		p.prices.Lookup(sku, cb)
	})
}
