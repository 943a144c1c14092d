//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// upstream is one upstream address and its counters.
type upstream struct {
	addr     string
	active   atomic.Int64 // connections (tcp) or requests (http) in flight
	requests atomic.Int64 // connections (tcp) or requests (http) served
	failures atomic.Int64 // failed connects, bad or missing responses
	down     atomic.Bool  // taken out: by a failed health check or failures in a row
	inARow   atomic.Int64 // failures since the last success
}

// failuresToDown is how many failures in a row take an upstream out until
// a health check finds it back.
const failuresToDown = 3

// failed and succeeded record the outcome of a connect or exchange: the
// passive half of health checking.
func (u *upstream) failed() {
	u.failures.Add(1)
	if u.inARow.Add(1) >= failuresToDown {
		u.down.Store(true)
	}
}

func (u *upstream) succeeded() { u.inARow.Store(0) }

// proxy is what the loops share: the upstreams, the balancing and the
// connection limit. Everything else is per loop, in its fibers.
type proxy struct {
	c      config
	ups    []*upstream
	next   atomic.Uint64 // round-robin position
	conns  atomic.Int64  // client connections open
	sig    context.Context
	served atomic.Int64    // client connections accepted
	tls    *tls.Config     // -tls-cert: TLS terminated on the listener
	log    *slog.Logger    // -access-log, or nil
	moved  [2]atomic.Int64 // tcp mode: bytes copied [0] and spliced [1]
}

// pick chooses the upstream for a new connection or request, skipping the
// ones in skip (tried already).
func (p *proxy) pick(skip map[*upstream]bool) *upstream {
	if u := p.pickFrom(skip, false); u != nil {
		return u
	}
	// Every upstream left is down: try them anyway, rather than refuse
	// what a recovered one could serve.
	return p.pickFrom(skip, true)
}

func (p *proxy) pickFrom(skip map[*upstream]bool, evenDown bool) *upstream {
	ok := func(u *upstream) bool { return !skip[u] && (evenDown || !u.down.Load()) }
	var best *upstream
	if p.c.balance == "leastconn" {
		for _, u := range p.ups {
			if ok(u) && (best == nil || u.active.Load() < best.active.Load()) {
				best = u
			}
		}
		return best
	}
	n := uint64(len(p.ups))
	start := p.next.Add(1)
	for i := uint64(0); i < n; i++ {
		if u := p.ups[(start+i)%n]; ok(u) {
			return u
		}
	}
	return nil
}

// healthCheck connects to every upstream each -health-interval, taking out
// those that refuse and bringing back those that answer, until stop.
func (p *proxy) healthCheck(stop <-chan struct{}) {
	t := time.NewTicker(p.c.healthInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for _, u := range p.ups {
			c, err := net.DialTimeout("tcp", u.addr, p.c.connectTimeout)
			if err != nil {
				u.down.Store(true)
				continue
			}
			c.Close()
			u.down.Store(false)
			u.inARow.Store(0)
		}
	}
}

// run serves until ctx is done (SIGINT, SIGTERM), then drains.
func run(ctx context.Context, c config, out io.Writer) error {
	if len(c.upstreams) == 0 {
		addr, stop, err := startDemo(c.mode)
		if err != nil {
			return err
		}
		defer stop()
		c.upstreams = []string{addr}
		fmt.Fprintf(out, "no -upstream: a demo upstream (%s) listens on %s\n", demoWhat(c.mode), addr)
	}
	p := &proxy{c: c, sig: ctx}
	for _, a := range c.upstreams {
		p.ups = append(p.ups, &upstream{addr: a})
	}
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		p.tls = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	}
	if c.accessLog != "" {
		w := out
		if c.accessLog != "-" {
			f, err := os.OpenFile(c.accessLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return fmt.Errorf("-access-log: %w", err)
			}
			defer f.Close()
			w = f
		}
		p.log = slog.New(slog.NewTextHandler(w, nil))
	}
	if c.healthInterval > 0 {
		stopHealth := make(chan struct{})
		healthDone := make(chan struct{})
		go func() { defer close(healthDone); p.healthCheck(stopHealth) }()
		defer func() { close(stopHealth); <-healthDone }()
	}
	if c.admin != "" {
		stopAdmin, err := p.startAdmin(c.admin, out)
		if err != nil {
			return fmt.Errorf("-admin: %w", err)
		}
		defer stopAdmin()
	}
	// After the signal, connections get c.drain to finish; then the
	// loops' contexts end, which ends every fiber.
	hard, cancelHard := context.WithCancel(context.Background())
	defer cancelHard()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(c.drain, cancelHard) })
	defer stopDrain()

	// The first loop binds the address (the port, if it is 0); the others
	// bind the same one with SO_REUSEPORT.
	errs := make(chan error, c.loops)
	addrs := make(chan string, 1)
	var wg sync.WaitGroup
	var opts []loop.Option
	if c.wait == "block" {
		opts = append(opts, loop.WithBlockingWait())
	}
	start := func(addr string, first bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fiber.Run(hard, func(fctx context.Context) error {
				return p.serveLoop(fctx, addr, first, addrs)
			}, opts...)
		}()
	}
	start(c.listen, true)
	var bound string
	select {
	case bound = <-addrs:
	case err := <-errs:
		return err
	}
	for i := 1; i < c.loops; i++ {
		start(bound, false)
	}
	scheme := "http://"
	switch {
	case c.mode == "tcp":
		scheme = ""
	case p.tls != nil:
		scheme = "https://"
	}
	fmt.Fprintf(out, "listening on %s (%s mode, %d loops, upstreams %v); try %s%s/hello\n", bound, c.mode, c.loops, c.upstreams, scheme, bound)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// serveLoop is a loop's main fiber: it accepts until the signal and starts
// a fiber per client connection.
func (p *proxy) serveLoop(ctx context.Context, addr string, first bool, addrs chan<- string) error {
	ln, err := netpoll.Listen(ctx, "tcp", addr, netpoll.WithReusePort())
	if err != nil {
		return err
	}
	if first {
		addrs <- ln.Addr().String()
	}
	stop := context.AfterFunc(p.sig, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	pool := pools{} // this loop's idle upstream connections
	for {
		c, err := ln.AcceptConn()
		if err != nil {
			if p.sig.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil // stopped accepting; the connections' fibers drain
			}
			return err
		}
		p.served.Add(1)
		if n := p.conns.Add(1); p.c.maxConns > 0 && n > int64(p.c.maxConns) {
			p.conns.Add(-1)
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				p.refuse(c)
				return struct{}{}, nil
			})
			continue
		}
		fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
			defer p.conns.Add(-1)
			defer c.Close()
			if p.c.mode == "tcp" {
				p.serveTCP(ctx, c)
			} else {
				p.serveHTTP(ctx, c, pool)
			}
			return struct{}{}, nil
		})
	}
}

// refuse turns away a connection over -max-conns: 503 in http mode, a
// close in tcp mode.
func (p *proxy) refuse(c *netpoll.Conn) {
	defer c.Close()
	if p.c.mode == "http" {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	}
}

// dial connects to an upstream, within -connect-timeout.
func (p *proxy) dial(ctx context.Context, u *upstream) (*netpoll.Conn, error) {
	return netpoll.Dial(ctx, "tcp", u.addr, netpoll.WithDialTimeout(p.c.connectTimeout))
}
