//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"
)

// clientConfig is what the load client does: conns connections to addr,
// each sending size bytes and reading them back, over and over, for dur.
type clientConfig struct {
	addr  string
	conns int
	dur   time.Duration
	size  int
}

// result is what the load client measured.
type result struct {
	requests int           // round trips completed
	elapsed  time.Duration // from the first request to the last reply
	p50, p99 time.Duration // round-trip latencies
}

// perSecond returns the requests per second.
func (r result) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

func (r result) String() string {
	return fmt.Sprintf("requests/s: %.0f  p50: %v  p99: %v  (%d requests)",
		r.perSecond(), roundLatency(r.p50), roundLatency(r.p99), r.requests)
}

// roundLatency rounds d for printing: to 100 ns below 100 µs, to the
// microsecond below 10 ms, to 10 µs above.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d < 100*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	case d < 10*time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

// errMismatch is returned when a server sent back other bytes than it was
// sent.
var errMismatch = errors.New("echoed bytes differ from the bytes sent")

// inlineWrite is the largest request written before reading the reply on
// the same goroutine: the socket buffers hold it. A larger one is written
// by another goroutine while this one reads, or client and server could
// both wait for the other to read.
const inlineWrite = 16 << 10

// ioGrace is how long past the run's end a request may take before the
// client gives up on the server.
const ioGrace = 10 * time.Second

// runClient runs the load client until cfg.dur has passed or ctx is
// cancelled, and returns what it measured. It fails with an error
// wrapping errMismatch if a reply differs from its request, or with the
// first connection's error.
func runClient(ctx context.Context, cfg clientConfig) (result, error) {
	switch {
	case cfg.conns < 1:
		return result{}, fmt.Errorf("connections: %d, want at least 1", cfg.conns)
	case cfg.size < 1:
		return result{}, fmt.Errorf("size: %d, want at least 1", cfg.size)
	case cfg.dur <= 0:
		return result{}, fmt.Errorf("duration: %v, want more than 0", cfg.dur)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var d net.Dialer
	conns := make([]net.Conn, 0, cfg.conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.conns {
		c, err := d.DialContext(ctx, "tcp", cfg.addr)
		if err != nil {
			return result{}, err
		}
		conns = append(conns, c)
	}
	reqs := make([][]byte, cfg.conns)
	for i := range reqs {
		reqs[i] = randomBytes(uint64(i), cfg.size)
	}
	start := time.Now()
	end := start.Add(cfg.dur)
	// A cancelled ctx cuts the requests under way short.
	stop := context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.SetDeadline(time.Now())
		}
	})
	defer stop()

	lats := make([][]time.Duration, cfg.conns)
	errs := make([]error, cfg.conns)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			lats[i], errs[i] = runConn(ctx, c, uint64(i), reqs[i], end)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}

	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{requests: len(all), elapsed: elapsed}
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r, nil
}

// randomBytes returns n random bytes, the same for the same seed.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, (n+7)&^7)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b[:n]
}

// runConn makes requests on c until end or ctx's cancellation and
// returns their latencies. Each request is req with its first 8 bytes
// overwritten by its sequence number (a reply that comes from an older
// request is caught too).
func runConn(ctx context.Context, c net.Conn, id uint64, req []byte, end time.Time) ([]time.Duration, error) {
	if err := c.SetDeadline(end.Add(ioGrace)); err != nil {
		return nil, err
	}
	size := len(req)
	reply := make([]byte, size)
	seq := make([]byte, 8)
	lats := make([]time.Duration, 0, 4096)
	for n := uint64(0); ctx.Err() == nil; n++ {
		binary.LittleEndian.PutUint64(seq, n^id<<48)
		copy(req, seq)
		t0 := time.Now() // the request's start, and the check for the end
		if !t0.Before(end) {
			break
		}
		if err := roundTrip(c, req, reply); err != nil {
			if ctx.Err() != nil {
				break // cut short
			}
			return nil, fmt.Errorf("connection %d, request %d: %w", id, n, err)
		}
		lats = append(lats, time.Since(t0))
		if !bytes.Equal(req, reply) {
			i := 0
			for req[i] == reply[i] {
				i++
			}
			return nil, fmt.Errorf("connection %d, request %d: %w (first at byte %d of %d: sent %#02x, got %#02x)",
				id, n, errMismatch, i, size, req[i], reply[i])
		}
	}
	return lats, nil
}

// roundTrip writes req to c and reads len(req) bytes into reply.
func roundTrip(c net.Conn, req, reply []byte) error {
	if len(req) <= inlineWrite {
		if _, err := c.Write(req); err != nil {
			return err
		}
		_, err := io.ReadFull(c, reply)
		return err
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(req)
		werr <- err
	}()
	_, err := io.ReadFull(c, reply)
	if err != nil {
		c.SetDeadline(time.Now()) // unblock the writer
	}
	return errors.Join(err, <-werr)
}

// percentile returns the q-quantile of sorted (nearest rank), or 0.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
