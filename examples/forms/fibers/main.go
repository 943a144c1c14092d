//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fibers:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	// Fibers must not block their thread, so they log here and the
	// lines are written once the loops are gone.
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	defer func() {
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}()

	coroutine(log)
	if err := fiber.Run(context.Background(), func(ctx context.Context) error { return echo(ctx, log) }); err != nil {
		return err
	}
	return sleepers(log)
}

// coroutine drives a generator through iter.Pull: each next() switches
// to the coroutine until it yields, and back.
func coroutine(log func(string, ...any)) {
	next, stop := iter.Pull(func(yield func(int) bool) {
		for i := 1; i <= 3; i++ {
			log("coroutine: yield %d", i)
			if !yield(i) {
				return
			}
		}
	})
	defer stop()
	for {
		v, ok := next()
		if !ok {
			break
		}
		log("caller: got %d", v)
	}
}

// echo runs a TCP echo server and its client as two fibers of one loop,
// each written as if its calls blocked.
func echo(ctx context.Context, log func(string, ...any)) error {
	ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	g, ctx := fiber.NewGroup(ctx)
	g.Go(func(ctx context.Context) error {
		c, err := ln.Accept() // parks this fiber until a client connects
		if err != nil {
			return err
		}
		defer c.Close()
		n, err := io.Copy(c, c) // Read and Write park the fiber, never the thread
		log("server: echoed %d bytes, client gone", n)
		return err
	})
	g.Go(func(ctx context.Context) error {
		c, err := netpoll.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for i := 1; i <= 3; i++ {
			if _, err := fmt.Fprintf(c, "ping %d\n", i); err != nil {
				return err
			}
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			log("client: sent ping %d, read back %q", i, line)
		}
		return c.CloseWrite()
	})
	return g.Wait()
}

// sleepers puts 1,000 fibers to sleep for 10 ms at once, on a loop whose
// clock is virtual: it jumps to the next timer instead of waiting, so the
// total is exact.
func sleepers(log func(string, ...any)) error {
	const n, nap = 1000, 10 * time.Millisecond
	var start, end int64
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		start = l.Now()
		g, ctx := fiber.NewGroup(ctx)
		for range n {
			g.Go(func(ctx context.Context) error { return fiber.Sleep(ctx, nap) })
		}
		err := g.Wait()
		end = l.Now()
		return err
	}, loop.WithVirtualTime(time.Time{}))
	if err != nil {
		return err
	}
	log("%d fibers slept %v each, side by side: the loop's clock moved %v", n, nap, time.Duration(end-start))
	return nil
}
