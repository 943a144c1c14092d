//go:build unix

// Command tour drives one weft loop through its paces and prints what it
// did: timers at many deadlines, tasks posted from several goroutines, a
// microtask chain, bytes pumped through a pipe by readiness events,
// pipelines of futures, a program of fibers and files written and read
// back through package fs (Linux), followed by the loop's own figures.
//
//	go run ./examples/tour [-timers N] [-posters N] [-posts N] [-chain N] [-bytes N] [-futures N] [-fibers N] [-files N]
//
// It runs on Linux, macOS and the BSDs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

type config struct {
	timers  int           // timers armed at random deadlines
	spread  time.Duration // deadlines fall in [0, spread)
	posters int           // goroutines that Post
	posts   int           // tasks each of them posts
	chain   int           // length of the microtask chain
	bytes   int           // bytes pumped through the pipe
	futures int           // future pipelines gathered by All
	fibers  int           // fibers in the chain of fiber.Run
	files   int           // files written and read back through package fs
	seed    uint64
}

func main() {
	var c config
	flag.IntVar(&c.timers, "timers", 100_000, "timers to arm at random deadlines")
	flag.DurationVar(&c.spread, "spread", 300*time.Millisecond, "timer deadlines fall within this span")
	flag.IntVar(&c.posters, "posters", 4, "goroutines posting tasks to the loop")
	flag.IntVar(&c.posts, "posts", 250_000, "tasks posted by each goroutine")
	flag.IntVar(&c.chain, "chain", 1_000_000, "microtasks in the chain")
	flag.IntVar(&c.bytes, "bytes", 64<<20, "bytes to pump through a pipe")
	flag.IntVar(&c.futures, "futures", 100_000, "future pipelines (Delay, Then, Map) gathered by All")
	flag.IntVar(&c.fibers, "fibers", 100_000, "fibers chained through futures by fiber.Run")
	flag.IntVar(&c.files, "files", 64, "files of 256 KiB written and read back through package fs (Linux)")
	flag.Uint64Var(&c.seed, "seed", uint64(time.Now().UnixNano()), "seed for the timer deadlines")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "tour: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := run(os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, c config) error {
	if c.timers < 0 || c.posters < 0 || c.posts < 0 || c.chain < 0 || c.bytes < 0 || c.futures < 0 || c.fibers < 0 || c.files < 0 || c.spread <= 0 {
		return errors.New("counts must not be negative and -spread must be positive")
	}
	l, err := loop.New()
	if err != nil {
		return err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run() }()
	defer func() {
		l.Close()
		<-runErr
	}()

	fmt.Fprintf(w, "weft tour: one loop, seed %d\n", c.seed)
	steps := []struct {
		name string
		f    func(io.Writer, *loop.Loop, config) error
	}{
		{"timers", tourTimers},
		{"post", tourPost},
		{"microtasks", tourChain},
		{"pipe", tourPipe},
		{"futures", tourFutures},
		{"fibers", tourFibers},
		{"files", tourFiles},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.f(w, l, c); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(w, "  (%s took %v)\n", s.name, time.Since(start).Round(time.Microsecond))
	}
	s := l.Stats()
	fmt.Fprintf(w, "loop figures: %d turns, %d tasks (%d posted), %d microtasks, %d timers, %d I/O events, %d polls; worst timer lag %v\n",
		s.Turns, s.Tasks, s.Posted, s.Microtasks, s.Timers, s.Events, s.Polls, s.MaxLag.Round(time.Microsecond))
	return nil
}

// await posts f to the loop and waits until f calls its done; calls of done
// after the first are ignored.
func await(l *loop.Loop, f func(done func(error))) error {
	ch := make(chan error, 1)
	called := false // touched only on the loop
	done := func(err error) {
		if !called {
			called = true
			ch <- err
		}
	}
	if err := l.Post(func() { f(done) }); err != nil {
		return err
	}
	return <-ch
}

// tourTimers arms timers at random deadlines and checks that they fire in
// deadline order, never early. Arming 100,000 timers takes the loop a while,
// and timers due meanwhile are late by construction, so lateness is
// reported only for the timers due after the arming task ended.
func tourTimers(w io.Writer, l *loop.Loop, c config) error {
	rng := rand.New(rand.NewPCG(c.seed, 0))
	var lastWhen, armedAt int64
	var late []time.Duration
	fired := 0
	var armed time.Duration
	err := await(l, func(done func(error)) {
		if c.timers == 0 {
			done(nil)
			return
		}
		start := l.Now()
		for range c.timers {
			when := start + rng.Int64N(int64(c.spread))
			l.At(when, func() {
				now := l.Now()
				switch {
				case when < lastWhen:
					done(fmt.Errorf("timer for %d fired after one for %d", when, lastWhen))
					return
				case now < when:
					done(fmt.Errorf("timer fired %v early", time.Duration(when-now)))
					return
				}
				lastWhen = when
				if when >= armedAt {
					late = append(late, time.Duration(now-when))
				}
				if fired++; fired == c.timers {
					done(nil)
				}
			})
		}
		armedAt = l.Now()
		armed = time.Duration(armedAt - start)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "timers: %d fired in deadline order over %v, none early (armed in %v)\n",
		fired, c.spread, armed.Round(time.Microsecond))
	if len(late) > 0 {
		slices.Sort(late)
		fmt.Fprintf(w, "  lateness of the %d due after arming: p50 %v, p99 %v, max %v\n", len(late),
			late[len(late)/2].Round(time.Microsecond), late[len(late)*99/100].Round(time.Microsecond),
			late[len(late)-1].Round(time.Microsecond))
	}
	return nil
}

// tourPost has several goroutines post tasks that add to a sum the loop
// owns without a lock, and checks the sum and each producer's order.
func tourPost(w io.Writer, l *loop.Loop, c config) error {
	var sum int64
	last := make([]int, c.posters) // per producer, the last index run
	outOfOrder := 0
	var wg sync.WaitGroup
	for p := range c.posters {
		last[p] = -1
		wg.Go(func() {
			for i := range c.posts {
				l.Post(func() {
					sum += int64(i)
					if i != last[p]+1 {
						outOfOrder++
					}
					last[p] = i
				})
			}
		})
	}
	wg.Wait()
	var got int64
	var bad int
	await(l, func(done func(error)) { got, bad = sum, outOfOrder; done(nil) })
	want := int64(c.posters) * int64(c.posts) * int64(c.posts-1) / 2
	if got != want || bad != 0 {
		return fmt.Errorf("sum %d (want %d), %d out of order", got, want, bad)
	}
	fmt.Fprintf(w, "post: %d goroutines posted %d tasks; sum %d correct, each producer's order kept\n",
		c.posters, c.posters*c.posts, got)
	return nil
}

// tourChain runs a chain of microtasks, each queuing the next.
func tourChain(w io.Writer, l *loop.Loop, c config) error {
	n := 0
	err := await(l, func(done func(error)) {
		var step func()
		step = func() {
			if n == c.chain {
				done(nil)
				return
			}
			n++
			l.Microtask(step)
		}
		step()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "microtasks: a chain of %d, each queued by the one before, on constant stack\n", n)
	return nil
}

// tourPipe pumps bytes through a non-blocking pipe, writing when the pipe
// is writable and reading when it is readable, both on the loop.
func tourPipe(w io.Writer, l *loop.Loop, c config) error {
	r, wr, err := nonblockingPipe()
	if err != nil {
		return err
	}
	defer unix.Close(r)
	defer unix.Close(wr)
	var sent, received, events int
	var checksum, expect uint32
	err = await(l, func(done func(error)) {
		out := make([]byte, 64<<10)
		in := make([]byte, 64<<10)
		finished := false
		finish := func(err error) {
			if finished {
				return
			}
			finished = true
			l.Unregister(r)
			l.Unregister(wr)
			done(err)
		}
		pump := func() {
			for sent < c.bytes {
				k := min(len(out), c.bytes-sent)
				for i := range k {
					out[i] = byte(sent + i)
				}
				n, err := unix.Write(wr, out[:k])
				if err == unix.EAGAIN {
					return // wait for the next writable edge
				}
				if err != nil {
					finish(err)
					return
				}
				for _, b := range out[:n] {
					expect = expect*31 + uint32(b)
				}
				sent += n
			}
		}
		drain := func() {
			for {
				n, err := unix.Read(r, in)
				if err == unix.EAGAIN {
					return
				}
				if err != nil {
					finish(err)
					return
				}
				for _, b := range in[:n] {
					checksum = checksum*31 + uint32(b)
				}
				received += n
				if received == c.bytes {
					finish(nil)
					return
				}
			}
		}
		if c.bytes == 0 {
			done(nil)
			return
		}
		if err := l.Register(r, poller.Readable, readyFunc(func(poller.Events) { events++; drain() })); err != nil {
			done(err)
			return
		}
		if err := l.Register(wr, poller.Writable, readyFunc(func(poller.Events) { events++; pump() })); err != nil {
			l.Unregister(r)
			done(err)
		}
	})
	if err != nil {
		return err
	}
	if checksum != expect {
		return fmt.Errorf("checksum %08x, want %08x", checksum, expect)
	}
	fmt.Fprintf(w, "pipe: %d bytes written and read back intact through %d readiness events\n", received, events)
	return nil
}

type readyFunc func(poller.Events)

func (f readyFunc) Ready(ev poller.Events) { f(ev) }
