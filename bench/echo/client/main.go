// Command client is the load client of the echo benchmark, a process of
// its own (so that it and the server each hold their own connections'
// descriptors). It uses package net, a goroutine per connection, and
// prints JSON lines on stdout.
//
//	client -addr A -mode rr -c N -d DUR -warmup W -size 64
//
// Request/response: each connection writes size bytes, reads them back and
// checks them, over and over. After the warm-up it prints
// {"event":"start"}, after DUR {"event":"end"} (the window the harness
// measures the server's CPU over), then {"event":"result",...} with the
// requests completed inside the window, requests/s, p50 and p99.
//
//	client -addr A -mode stream -c N -d DUR -warmup W -size 16384
//
// Streaming: each connection writes size-byte chunks of a known pattern
// while it reads the echo back concurrently and checks it; the result is
// the bytes echoed inside the window and MB/s (10^6 bytes).
//
//	client -addr A -mode idle -c N -size 64 [-sync]
//
// Idle: opens N connections ({"event":"connected"}), echoes size bytes on
// each once, prints {"event":"ready"} and holds them open, idle, until
// SIGTERM or SIGINT; then closes them and prints the result. With -sync
// it waits for a line on stdin after "connected" before echoing.
//
// A reply that differs from its request, or a connection error other than
// the run's own stopping, is counted in "errors" (the first is in
// "first_error") and the exit status is 1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var out = json.NewEncoder(os.Stdout)

var outMu sync.Mutex

// emit prints one JSON line.
func emit(v map[string]any) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

// errCount counts the run's errors and keeps the first.
type errCount struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
}

func (e *errCount) add(err error) {
	if e.n.Add(1) == 1 {
		e.mu.Lock()
		e.first = err.Error()
		e.mu.Unlock()
	}
}

func (e *errCount) fill(r map[string]any) {
	r["errors"] = e.n.Load()
	e.mu.Lock()
	if e.first != "" {
		r["first_error"] = e.first
	}
	e.mu.Unlock()
}

// ioGrace is how long past the run's end one I/O may wait for the server
// before the connection counts as failed (a hung server).
const ioGrace = 10 * time.Second

var errMismatch = errors.New("echoed bytes differ from the bytes sent")

func main() {
	addr := flag.String("addr", "127.0.0.1:7007", "the server's address")
	mode := flag.String("mode", "rr", "rr, stream or idle")
	conns := flag.Int("c", 50, "connections")
	dur := flag.Duration("d", 5*time.Second, "measured duration (rr, stream)")
	warmup := flag.Duration("warmup", time.Second, "load before the measured window (rr, stream)")
	size := flag.Int("size", 64, "bytes per request (rr), per chunk (stream), of the one echo (idle)")
	dialers := flag.Int("dialers", 64, "concurrent dials while connecting")
	syncIn := flag.Bool("sync", false, "idle: wait for a line on stdin after connecting")
	flag.Parse()
	if *conns < 1 || *size < 1 || *dur <= 0 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "client: -c and -size must be at least 1, -d more than 0")
		os.Exit(2)
	}
	switch *mode {
	case "rr", "stream", "idle":
	default:
		fmt.Fprintf(os.Stderr, "client: unknown -mode %q\n", *mode)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	errs := &errCount{}
	t0 := time.Now()
	cs, err := dialAll(ctx, *addr, *conns, *dialers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client: dial:", err)
		emit(map[string]any{"event": "result", "mode": *mode, "conns": *conns, "errors": 1,
			"first_error": "dial: " + err.Error()})
		os.Exit(1)
	}
	emit(map[string]any{"event": "connected", "conns": len(cs), "dial_s": time.Since(t0).Seconds()})

	var r map[string]any
	switch *mode {
	case "rr":
		r = runRR(ctx, cs, *size, *warmup, *dur, errs)
	case "stream":
		r = runStream(ctx, cs, *size, *warmup, *dur, errs)
	case "idle":
		r = runIdle(ctx, cs, *size, *syncIn, errs)
	}
	for _, c := range cs {
		c.Close()
	}
	r["event"] = "result"
	r["mode"] = *mode
	r["conns"] = *conns
	r["size"] = *size
	errs.fill(r)
	emit(r)
	if errs.n.Load() > 0 {
		os.Exit(1)
	}
}

// dialAll opens n connections to addr, at most k dials at a time.
func dialAll(ctx context.Context, addr string, n, k int) ([]net.Conn, error) {
	cs := make([]net.Conn, n)
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	d := net.Dialer{Timeout: 30 * time.Second}
	for range max(1, min(k, n)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
				cs[i] = c
			}
		})
	}
	wg.Wait()
	if first != nil {
		for _, c := range cs {
			if c != nil {
				c.Close()
			}
		}
		return nil, first
	}
	return cs, nil
}

// window waits out the warm-up and the measured duration, printing start
// and end, and returns the window's bounds. It returns early if ctx is
// cancelled.
func window(ctx context.Context, warmup, dur time.Duration, atStart, atEnd func() map[string]any) (start, end time.Time) {
	sleep(ctx, warmup)
	start = time.Now()
	ev := atStart()
	ev["event"] = "start"
	emit(ev)
	sleep(ctx, dur)
	end = time.Now()
	ev = atEnd()
	ev["event"] = "end"
	ev["window_s"] = end.Sub(start).Seconds()
	emit(ev)
	return start, end
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// runRR runs request/response on every connection until the window ends.
func runRR(ctx context.Context, cs []net.Conn, size int, warmup, dur time.Duration, errs *errCount) map[string]any {
	var (
		winStart, winEnd atomic.Int64 // unix ns; math.MaxInt64 until set
		stop             atomic.Bool
		wg               sync.WaitGroup
	)
	winStart.Store(math.MaxInt64)
	winEnd.Store(math.MaxInt64)
	lats := make([][]time.Duration, len(cs))
	deadline := time.Now().Add(warmup + dur + ioGrace)
	for i, c := range cs {
		wg.Go(func() {
			lats[i] = rrConn(c, uint64(i), size, deadline, &winStart, &winEnd, &stop, errs)
		})
	}
	start, end := window(ctx, warmup, dur,
		func() map[string]any { winStart.Store(time.Now().UnixNano()); return map[string]any{} },
		func() map[string]any { winEnd.Store(time.Now().UnixNano()); stop.Store(true); return map[string]any{} })
	wg.Wait()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	secs := end.Sub(start).Seconds()
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return map[string]any{
		"requests":  len(all),
		"window_s":  secs,
		"rps":       float64(len(all)) / secs,
		"p50_us":    us(percentile(all, 0.50)),
		"p99_us":    us(percentile(all, 0.99)),
		"max_us":    us(percentile(all, 1)),
		"cut_short": ctx.Err() != nil,
	}
}

// rrConn makes requests on c until stop, recording the latency of those
// that complete inside the window. Each request carries its sequence
// number in its first 8 bytes, so a stale reply is caught too.
func rrConn(c net.Conn, id uint64, size int, deadline time.Time, winStart, winEnd *atomic.Int64, stop *atomic.Bool, errs *errCount) []time.Duration {
	if err := c.SetDeadline(deadline); err != nil {
		errs.add(err)
		return nil
	}
	req := make([]byte, size)
	for i := range req {
		req[i] = byte(id*131 + uint64(i)*7)
	}
	reply := make([]byte, size)
	lats := make([]time.Duration, 0, 1024)
	for n := uint64(0); !stop.Load(); n++ {
		if size >= 8 {
			binary.LittleEndian.PutUint64(req, n^id<<40)
		}
		t0 := time.Now()
		if _, err := c.Write(req); err != nil {
			errs.add(fmt.Errorf("connection %d, request %d: write: %w", id, n, err))
			return lats
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			errs.add(fmt.Errorf("connection %d, request %d: read: %w", id, n, err))
			return lats
		}
		t1 := time.Now()
		if ns := t1.UnixNano(); ns >= winStart.Load() && ns <= winEnd.Load() {
			lats = append(lats, t1.Sub(t0))
		}
		if !bytes.Equal(req, reply) {
			errs.add(fmt.Errorf("connection %d, request %d: %w", id, n, errMismatch))
			return lats
		}
	}
	return lats
}

// percentile returns the q-quantile of sorted (nearest rank), or 0.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// period is the period of the stream's byte pattern: byte k of a
// connection's stream is byte(k % period) (a prime, so chunk boundaries
// do not line up with it).
const period = 251

// readBuf is the stream reader's buffer.
const readBuf = 64 << 10

// runStream streams on every connection until the window ends.
func runStream(ctx context.Context, cs []net.Conn, size int, warmup, dur time.Duration, errs *errCount) map[string]any {
	pat := make([]byte, period+max(size, readBuf))
	for i := range pat {
		pat[i] = byte(i % period)
	}
	type counter struct {
		n atomic.Int64
		_ [56]byte
	}
	got := make([]counter, len(cs))
	var (
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(warmup + dur + ioGrace)
	for i, c := range cs {
		c.SetDeadline(deadline)
		wg.Go(func() { // writer
			var off int64
			for !stop.Load() {
				k := int(off % period)
				n, err := c.Write(pat[k : k+size])
				off += int64(n)
				if err != nil {
					errs.add(fmt.Errorf("connection %d: write: %w", i, err))
					return
				}
			}
			// Stopping: half-close, so the server echoes what it has and
			// closes (the reader reads to EOF): no reset.
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				errs.add(fmt.Errorf("connection %d: close write: %w", i, err))
			}
		})
		wg.Go(func() { // reader
			buf := make([]byte, readBuf)
			var off int64
			for {
				n, err := c.Read(buf)
				if n > 0 {
					k := int(off % period)
					if !bytes.Equal(buf[:n], pat[k:k+n]) {
						errs.add(fmt.Errorf("connection %d, bytes %d-%d: %w", i, off, off+int64(n), errMismatch))
						c.Close()
						return
					}
					off += int64(n)
					got[i].n.Store(off)
				}
				if err == io.EOF && stop.Load() {
					return
				}
				if err != nil {
					errs.add(fmt.Errorf("connection %d: read at byte %d: %w", i, off, err))
					return
				}
			}
		})
	}
	sum := func() int64 {
		var s int64
		for i := range got {
			s += got[i].n.Load()
		}
		return s
	}
	var b0, b1 int64
	start, end := window(ctx, warmup, dur,
		func() map[string]any { b0 = sum(); return map[string]any{} },
		func() map[string]any { b1 = sum(); return map[string]any{"bytes": b1 - b0} })
	stop.Store(true)
	wg.Wait() // the writers half-close; the readers read to EOF
	secs := end.Sub(start).Seconds()
	return map[string]any{
		"bytes":     b1 - b0,
		"window_s":  secs,
		"mbps":      float64(b1-b0) / secs / 1e6,
		"cut_short": ctx.Err() != nil,
	}
}

// runIdle echoes once on every connection, then holds them until ctx is
// cancelled.
func runIdle(ctx context.Context, cs []net.Conn, size int, syncIn bool, errs *errCount) map[string]any {
	if syncIn {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	t0 := time.Now()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(64, len(cs)) {
		wg.Go(func() {
			req := make([]byte, size)
			reply := make([]byte, size)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(cs) {
					return
				}
				for j := range req {
					req[j] = byte(i + j)
				}
				c := cs[i]
				c.SetDeadline(time.Now().Add(30 * time.Second))
				_, err := c.Write(req)
				if err == nil {
					_, err = io.ReadFull(c, reply)
				}
				if err == nil && !bytes.Equal(req, reply) {
					err = errMismatch
				}
				if err != nil {
					errs.add(fmt.Errorf("connection %d: echo: %w", i, err))
				}
				c.SetDeadline(time.Time{})
			}
		})
	}
	wg.Wait()
	r := map[string]any{"event": "ready", "conns": len(cs), "echo_s": time.Since(t0).Seconds()}
	errs.fill(r)
	emit(r)
	<-ctx.Done()
	return map[string]any{"held_s": time.Since(t0).Seconds()}
}
