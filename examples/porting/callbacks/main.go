// Command callbacks prices the stock of a few warehouses, written the way
// callback code is: every asynchronous step takes a function to call on
// success and another to call on failure, steps nest inside the callbacks
// of the steps before them, and a counter says when parallel branches are
// all done. It is the starting point of docs/porting.md; ../futures and
// ../fibers are the same program ported, and print the same report.
//
//	go run ./examples/porting/callbacks
//
// Every callback runs on one weft loop, so the shared state below (the
// counters, the slices, the flags) needs no lock.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/weftio/weft/examples/porting/internal/app"
	"github.com/weftio/weft/loop"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "callbacks:", err)
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
	stopped := make(chan error, 1)
	go func() { stopped <- l.Run() }()
	defer l.Close()

	// The last callback hands the report back to this goroutine. A
	// callback that panics stops the loop instead (there is no panic
	// handler), so wait for that too, or a bug would hang us here.
	report := make(chan string, 1)
	p := &pricer{l: l, files: app.NewFiles(l, dir), prices: app.NewPrices(l)}
	err = l.Post(func() {
		p.priceAll(app.Inputs(), func(lines []app.Line) {
			report <- app.Format(lines, p.prices.Stats())
		})
	})
	if err != nil {
		return err
	}
	select {
	case r := <-report:
		_, err := io.WriteString(w, r)
		return err
	case err := <-stopped:
		return fmt.Errorf("loop stopped: %w", err)
	}
}

// pricer is the program's state; only the loop touches it.
type pricer struct {
	l      *loop.Loop
	files  *app.Files
	prices *app.Prices
}

// priceAll prices every file at once and calls done with one Line each.
// A file's failure is its Line, not the end of the run, so every file
// finishes through one of two callbacks, and a counter tells when the
// last one has.
func (p *pricer) priceAll(names []string, done func([]app.Line)) {
	lines := make([]app.Line, 0, len(names))
	pending := len(names)
	finish := func(line app.Line) {
		lines = append(lines, line)
		if pending--; pending == 0 {
			done(lines)
		}
	}
	for _, name := range names {
		p.priceFile(name, finish, func(err error) {
			finish(app.Line{Name: name, Err: err})
		})
	}
}

// priceFile reads a file, parses it, prices each item at once, and calls
// exactly one of onLine and onError.
func (p *pricer) priceFile(name string, onLine func(app.Line), onError func(error)) {
	p.files.ReadAsync(name, func(data []byte, err error) {
		if err != nil {
			onError(err)
			return
		}
		items, err := app.Parse(data)
		if err != nil {
			onError(err)
			return
		}
		if len(items) == 0 {
			// Nothing to count down: without this the file would never
			// finish, and neither would the run.
			onLine(app.Sum(name, nil, nil))
			return
		}
		amounts := make([]int, len(items))
		pending := len(items)
		failed := false
		for i, it := range items {
			p.lookup(it.SKU, func(cents int) {
				if failed {
					return // the file has already been reported
				}
				amounts[i] = cents * it.Qty
				if pending--; pending == 0 {
					onLine(app.Sum(name, items, amounts))
				}
			}, func(err error) {
				if failed {
					return // report the first error only, and once
				}
				failed = true
				onError(err)
			})
		}
	})
}

// lookup prices one unit of sku: up to app.Attempts attempts, each within
// app.Timeout, with a doubling wait between them, retrying only the errors
// app.Retryable accepts.
func (p *pricer) lookup(sku string, onPrice func(int), onError func(error)) {
	p.attempt(sku, 1, app.Backoff, onPrice, onError)
}

func (p *pricer) attempt(sku string, n int, wait time.Duration, onPrice func(int), onError func(error)) {
	p.lookupWithin(sku, app.Timeout, onPrice, func(err error) {
		if n == app.Attempts || !app.Retryable(err) {
			onError(err)
			return
		}
		p.l.AfterFunc(wait, func() {
			p.attempt(sku, n+1, 2*wait, onPrice, onError)
		})
	})
}

// errTimeout wraps context.DeadlineExceeded, as future.ErrTimeout does, so
// that app.Retryable recognises it.
var errTimeout = fmt.Errorf("price lookup timed out: %w", context.DeadlineExceeded)

// lookupWithin is one attempt: the service's answer or a timeout,
// whichever comes first. The loser must be ignored: the timer is stopped
// when the answer wins, and an answer that comes after the timeout is
// dropped, or the caller would hear twice.
func (p *pricer) lookupWithin(sku string, d time.Duration, onPrice func(int), onError func(error)) {
	answered := false
	t := p.l.AfterFunc(d, func() {
		answered = true
		onError(errTimeout)
	})
	p.prices.Lookup(sku, func(cents int, err error) {
		if answered {
			return // too late: the caller has moved on
		}
		answered = true
		t.Stop()
		if err != nil {
			onError(err)
			return
		}
		onPrice(cents)
	})
}
