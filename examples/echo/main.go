//go:build linux || darwin || freebsd || netbsd || openbsd

// Command echo is an echo server on weft's netpoll, in both of its faces,
// and a load client to measure it.
//
//	echo -addr ADDR -face callback|fiber
//
// serves echo on ADDR until SIGINT or SIGTERM, and prints "listening on
// ADDR" (with the port the system chose for ":0") once it accepts
// connections. The callback face is netpoll.Serve on a loop group with a
// loop per core: a Handler whose OnData writes the bytes back, with no
// goroutine or fiber per connection. The fiber face is one fiber.Run
// whose main fiber listens (netpoll.Listen) and starts a fiber per
// connection that reads and writes back through a 16 KiB buffer, code
// written as for net.Conn.
//
//	echo -client -addr ADDR -c N -d DURATION -size BYTES
//
// runs a load client: N connections, each writing BYTES bytes, reading
// them back and checking them, over and over for DURATION; it prints the
// requests per second and the median and 99th percentile round trip. It
// exits with status 1 if a reply differs from its request.
//
// With no flags, echo runs a demo: the client for 3 s, 50 connections of
// 64 bytes, against an in-process server of each face in turn.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// demoConfig is the demo's load: the client's run against each face.
var demoConfig = clientConfig{conns: 50, dur: 3 * time.Second, size: 64}

// run is the command: it parses args and serves, runs the client or the
// demo until done or ctx is cancelled, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage:
  echo -addr ADDR -face callback|fiber            serve echo on ADDR
  echo -client -addr ADDR -c N -d DUR -size BYTES  load an echo server
  echo                                             the demo
`)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:7007", "the address to serve on, or the client's server")
	face := fs.String("face", "callback", "the server's face: callback or fiber")
	client := fs.Bool("client", false, "run the load client instead of a server")
	conns := fs.Int("c", 50, "the client's connections")
	dur := fs.Duration("d", 10*time.Second, "how long the client runs")
	size := fs.Int("size", 64, "the bytes of each request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "echo: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}

	var err error
	switch {
	case fs.NFlag() == 0:
		err = demo(ctx, stdout, demoConfig)
	case *client:
		var r result
		r, err = runClient(ctx, clientConfig{addr: *addr, conns: *conns, dur: *dur, size: *size})
		if err == nil {
			fmt.Fprintln(stdout, r)
		}
	default:
		err = serve(ctx, stdout, *face, *addr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "echo:", err)
		return 1
	}
	return 0
}

// serve serves echo on addr until ctx is cancelled.
func serve(ctx context.Context, stdout io.Writer, face, addr string) error {
	s, err := startServer(ctx, face, addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", s.Addr())
	select {
	case <-ctx.Done():
	case <-s.Exited():
		// By itself, or because ctx was cancelled (the fiber face stops
		// on ctx): both may be ready by the time select looks.
		if err := s.Close(); err != nil || ctx.Err() != nil {
			return err
		}
		return errors.New("server stopped")
	}
	return s.Close()
}

// demo runs the client as c says (its addr aside) against an in-process
// server of each face on 127.0.0.1:0, until done or ctx is cancelled.
func demo(ctx context.Context, stdout io.Writer, c clientConfig) error {
	fmt.Fprintf(stdout, "echo demo: %d connections, %d-byte requests, %v per face\n", c.conns, c.size, c.dur)
	for _, face := range []string{"callback", "fiber"} {
		s, err := startServer(ctx, face, "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("%s face: %w", face, err)
		}
		c.addr = s.Addr().String()
		r, err := runClient(ctx, c)
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s face: %w", face, err)
		}
		fmt.Fprintf(stdout, "%-8s face on %s: %v\n", face, c.addr, r)
		if ctx.Err() != nil {
			return nil // interrupted: stop after the run cut short
		}
	}
	return nil
}
