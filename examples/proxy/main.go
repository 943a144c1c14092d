//go:build linux || darwin || freebsd || netbsd || openbsd

// Command proxy is a reverse proxy on weft: one loop per core, each
// accepting on the same address (SO_REUSEPORT) and serving every client
// connection in a fiber, with net/http's parsers over weft's fiber
// connections in http mode.
//
//	proxy [-listen ADDR] [-upstream ADDR[,ADDR...]] [-mode tcp|http] [-loops N]
//	      [-balance roundrobin|leastconn] [-connect-timeout D] [-idle-timeout D]
//	      [-header-timeout D] [-upstream-timeout D] [-max-conns N] [-drain D] [-health-interval D] [-gc-percent N]
//	      [-wait block|park]
//	      [-access-log FILE|-]
//	      [-admin ADDR] [-tls-cert FILE -tls-key FILE]
//
// With no -upstream it starts a small demo upstream on loopback and prints
// the URL to try. SIGINT or SIGTERM stops accepting, lets the connections
// in flight finish for up to -drain, and exits 0.
//
// tcp mode copies bytes both ways and passes half-closes on. http mode
// speaks HTTP/1.1 with keep-alive on both sides, a pool of upstream
// connections per loop, bodies streamed, hop-by-hop headers removed,
// X-Forwarded-For, X-Forwarded-Proto and Via added, and 400, 502, 503 and
// 504 where they apply; with -tls-cert and -tls-key it terminates TLS
// (crypto/tls over weft's fiber connections, ALPN http/1.1). -admin serves
// /metrics in the Prometheus text format and /healthz. docs/proxy.md says
// what is built and what is not yet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	weftdebug "github.com/weftio/weft/debug"
)

// config is the command line.
type config struct {
	listen          string
	upstreams       []string
	mode            string
	loops           int
	balance         string
	connectTimeout  time.Duration
	idleTimeout     time.Duration
	headerTimeout   time.Duration
	upstreamTimeout time.Duration
	maxConns        int
	drain           time.Duration
	healthInterval  time.Duration
	gcPercent       int
	accessLog       string
	admin           string
	tlsCert         string
	tlsKey          string
	noSplice        bool // -splice=false: tcp mode copies through user memory
	wait            string
}

func main() {
	c, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "proxy:", err)
		}
		os.Exit(2)
	}
	debug.SetGCPercent(c.gcPercent)
	if os.Getenv("GOMAXPROCS") == "" && c.loops < runtime.GOMAXPROCS(0) {
		// One P per loop, as nginx has one thread per worker: a spare P
		// only spins looking for work each time a goroutine is readied
		// (with blocking loops, 2-8 % less CPU per request with -loops 1
		// in runs by hand, docs/proxy.md).
		runtime.GOMAXPROCS(c.loops)
	}
	if os.Getenv("WEFT_DEBUG") == "1" {
		// Debug mode (docs/debugging.md): kill -QUIT prints every loop
		// and fiber, what each waits for and for how long.
		defer weftdebug.InstallSIGQUIT(os.Stderr)()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

// parse reads the command line; an error names the flag at fault.
func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(out)
	var upstreams string
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&upstreams, "upstream", "", "upstream addresses, comma-separated (none: a demo upstream)")
	fs.StringVar(&c.mode, "mode", "http", "tcp or http")
	fs.IntVar(&c.loops, "loops", runtime.GOMAXPROCS(0), "event loops (one per core by default)")
	fs.StringVar(&c.balance, "balance", "roundrobin", "roundrobin or leastconn")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 5*time.Second, "time to connect to an upstream")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 60*time.Second, "idle time after which a connection is closed")
	fs.DurationVar(&c.headerTimeout, "header-timeout", 10*time.Second, "http: time to read a request's headers")
	fs.DurationVar(&c.upstreamTimeout, "upstream-timeout", 30*time.Second, "http: time to wait for an upstream's response headers")
	fs.IntVar(&c.maxConns, "max-conns", 10000, "client connections at once (0: no limit)")
	fs.DurationVar(&c.drain, "drain", 10*time.Second, "on SIGINT or SIGTERM, time the connections in flight get to finish")
	fs.StringVar(&c.accessLog, "access-log", "", "write an access log line (log/slog, text) per request to this file, or - for standard output (default: none)")
	fs.IntVar(&c.gcPercent, "gc-percent", 400, "the Go collector's GOGC: the proxy's live heap is small, and 400 cut its CPU per request by 10-15 % against 100 (docs/proxy.md)")
	fs.DurationVar(&c.healthInterval, "health-interval", 2*time.Second, "time between health checks (a TCP connect) of each upstream (0: none)")
	fs.StringVar(&c.admin, "admin", "", "address serving /metrics (Prometheus text format) and /healthz")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate (PEM) to terminate TLS with on the listener (http mode)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "key (PEM) of -tls-cert")
	fs.StringVar(&c.wait, "wait", "block", "how an idle loop waits: block its thread in epoll_wait (each loop has its own listener, so its work comes from its sockets), or park its goroutine in Go's netpoller (weft's default)")
	splice := fs.Bool("splice", true, "tcp mode, Linux: move bytes socket to socket with splice(2) instead of copying them through the proxy's memory")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.noSplice = !*splice
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, u := range strings.Split(upstreams, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.upstreams = append(c.upstreams, u)
		}
	}
	switch {
	case c.mode != "tcp" && c.mode != "http":
		return c, fmt.Errorf("-mode %q: want tcp or http", c.mode)
	case c.wait != "block" && c.wait != "park":
		return c, fmt.Errorf("-wait %q: want block or park", c.wait)
	case c.balance != "roundrobin" && c.balance != "leastconn":
		return c, fmt.Errorf("-balance %q: want roundrobin or leastconn", c.balance)
	case c.loops < 1:
		return c, fmt.Errorf("-loops %d: want at least 1", c.loops)
	case c.maxConns < 0:
		return c, fmt.Errorf("-max-conns %d: want 0 or more", c.maxConns)
	case c.connectTimeout <= 0 || c.idleTimeout <= 0 || c.headerTimeout <= 0 || c.upstreamTimeout <= 0 || c.drain < 0 || c.healthInterval < 0:
		return c, errors.New("-connect-timeout, -idle-timeout, -header-timeout and -upstream-timeout must be positive, -drain and -health-interval not negative")
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return c, errors.New("-tls-cert and -tls-key go together")
	case c.tlsCert != "" && c.mode != "http":
		return c, errors.New("-tls-cert: TLS is terminated in http mode only")
	}
	return c, nil
}
