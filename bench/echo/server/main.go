//go:build linux

// Command server is the echo server of the echo benchmark: one of four
// implementations, chosen by -impl, serving TCP echo (every byte read is
// written back, so it serves 64-byte request/response and streaming
// alike) on -addr.
//
//		server -impl weft-callback|weft-fiber|net|gnet -addr 127.0.0.1:0
//
//	  - weft-callback: netpoll.Serve on a loop.NewGroup(GOMAXPROCS) whose
//	    loops block in epoll_wait (loop.WithBlockingWait), a Handler whose
//	    OnData writes the bytes back; no goroutine or fiber per connection.
//	  - weft-fiber: one fiber.Run (one loop) per GOMAXPROCS, each with a
//	    main fiber that netpoll.Listens with WithReusePort and starts a
//	    fiber per connection reading and writing back through a -buf
//	    buffer.
//	  - net: net.Listen and a goroutine per connection reading and writing
//	    back through a -buf buffer (io.Copy's loop, without its 32 KiB
//	    buffer or its splice path).
//	  - gnet: gnet v2 with WithMulticore(true) (one event loop per CPU plus
//	    its acceptor), OnTraffic writing back c.Next(-1).
//
// Once it accepts connections it prints "listening on ADDR" (the port the
// system chose for ":0"). On SIGTERM or SIGINT it stops, prints one JSON
// line {"event":"exit",...} with the connections it served and the
// unexpected errors it met, and exits (status 1 if stopping failed).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// server is a running echo server.
type server struct {
	addr string
	// exited is closed if the server stops by itself (it failed).
	exited <-chan struct{}
	stop   func() error
}

// stats are what a server counts, for its exit line.
type stats struct {
	accepted atomic.Int64
	closed   atomic.Int64
	errs     atomic.Int64
	mu       sync.Mutex
	first    string
}

// connError counts an unexpected connection error (not EOF, not the
// server's own closing) and keeps the first.
func (s *stats) connError(err error) {
	if s.errs.Add(1) == 1 {
		s.mu.Lock()
		s.first = err.Error()
		s.mu.Unlock()
	}
}

// expected reports whether err is a normal end of a connection.
func expected(err error) bool {
	return err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.Canceled)
}

func main() {
	impl := flag.String("impl", "", "weft-callback, weft-fiber, net or gnet")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	buf := flag.Int("buf", 16<<10, "per-connection read buffer of weft-fiber and net")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	st := &stats{}
	var (
		s   *server
		err error
	)
	switch *impl {
	case "weft-callback":
		s, err = startCallback(*addr, st)
	case "weft-fiber":
		s, err = startFiber(ctx, *addr, *buf, st)
	case "net":
		s, err = startNet(*addr, *buf, st)
	case "gnet":
		s, err = startGnet(*addr, st)
	default:
		err = fmt.Errorf("unknown -impl %q (want weft-callback, weft-fiber, net or gnet)", *impl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	fmt.Printf("listening on %s\n", s.addr)

	code := 0
	var stopErr error
	select {
	case <-ctx.Done():
	case <-s.exited:
		stopErr = errors.New("server stopped by itself")
		code = 1
	}
	t0 := time.Now()
	if err := s.stop(); err != nil {
		stopErr = errors.Join(stopErr, err)
		code = 1
	}
	line := map[string]any{
		"event":       "exit",
		"impl":        *impl,
		"accepted":    st.accepted.Load(),
		"closed":      st.closed.Load(),
		"conn_errors": st.errs.Load(),
		"stop_s":      time.Since(t0).Seconds(),
	}
	st.mu.Lock()
	if st.first != "" {
		line["first_error"] = st.first
	}
	st.mu.Unlock()
	if stopErr != nil {
		line["stop_error"] = stopErr.Error()
	}
	b, _ := json.Marshal(line)
	fmt.Println(string(b))
	os.Exit(code)
}

// echoLoop copies what c reads back to c through a buffer of size bytes
// until EOF or an error: the goroutine (net) and fiber (weft-fiber) loop.
func echoLoop(c io.ReadWriter, size int) error {
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// startNet serves echo with package net: a goroutine per connection.
func startNet(addr string, size int, st *stats) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		done  bool
		wg    sync.WaitGroup
	)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			c, err := ln.Accept()
			if err != nil {
				mu.Lock()
				d := done
				mu.Unlock()
				if !d {
					st.connError(fmt.Errorf("accept: %w", err))
				}
				return
			}
			st.accepted.Add(1)
			mu.Lock()
			if done {
				mu.Unlock()
				c.Close()
				continue
			}
			conns[c] = struct{}{}
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				err := echoLoop(c, size)
				mu.Lock()
				d := done
				delete(conns, c)
				mu.Unlock()
				c.Close()
				st.closed.Add(1)
				if !d && !expected(err) {
					st.connError(err)
				}
			}()
		}
	}()
	return &server{addr: ln.Addr().String(), exited: exited, stop: func() error {
		mu.Lock()
		done = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		err := ln.Close()
		<-exited
		wg.Wait()
		return err
	}}, nil
}
