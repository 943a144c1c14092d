//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"os"
	"time"
)

// An Option configures a listener, a dialled connection or a server.
type Option func(*options)

// Balance is how a Server with one acceptor spreads connections over the
// loops of its group.
type Balance int

const (
	// RoundRobin gives each loop the next connection in turn.
	RoundRobin Balance = iota
	// LeastConns gives a connection to the loop serving the fewest.
	LeastConns
)

type options struct {
	noDelay       bool
	keepAlive     time.Duration // 0: the system's default; <0: off
	reusePort     bool
	reuseAddr     bool
	readBuffer    int // SO_RCVBUF, 0: the system's
	writeBuffer   int // SO_SNDBUF
	backlog       int
	highWater     int
	lowWater      int
	balance       Balance
	linger        time.Duration
	dialTimeout   time.Duration
	acceptBackoff time.Duration
	ioUring       bool
}

func defaultOptions() options {
	return options{
		noDelay:       true,
		keepAlive:     15 * time.Second,
		reuseAddr:     true,
		backlog:       4096,
		highWater:     DefaultHighWater,
		lowWater:      DefaultLowWater,
		linger:        DefaultLinger,
		acceptBackoff: 5 * time.Millisecond,
		ioUring:       os.Getenv(EnvIOUring) != "0",
	}
}

func makeOptions(opts []Option) options {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.lowWater > o.highWater {
		o.lowWater = o.highWater
	}
	return o
}

// The write queue's default watermarks, and how long a closed connection
// may keep sending what it had accepted.
const (
	DefaultHighWater = 1 << 20
	DefaultLowWater  = 256 << 10
	DefaultLinger    = 30 * time.Second
)

// WithNoDelay sets TCP_NODELAY on TCP connections (on by default, as in
// package net).
func WithNoDelay(on bool) Option { return func(o *options) { o.noDelay = on } }

// WithKeepAlive sets the TCP keep-alive period (15 s by default, as in
// package net); a negative d turns keep-alives off.
func WithKeepAlive(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// WithReusePort sets SO_REUSEPORT on listening sockets. For a Server it
// also means one listening socket per loop, each accepting for its own
// loop, with the kernel spreading connections over them (instead of one
// acceptor handing connections out).
func WithReusePort() Option { return func(o *options) { o.reusePort = true } }

// WithBuffers sets SO_RCVBUF and SO_SNDBUF (0 leaves one as the system
// sets it).
func WithBuffers(read, write int) Option {
	return func(o *options) { o.readBuffer, o.writeBuffer = read, write }
}

// WithBacklog sets the listen backlog (4096 by default; the kernel caps it
// at net.core.somaxconn).
func WithBacklog(n int) Option { return func(o *options) { o.backlog = n } }

// WithWatermarks sets the bounds of a connection's write queue: once it
// holds high bytes or more, the writer is told (the callback face's Write
// returns ErrQueueFull and reading pauses) or parked (the fiber face's
// Write), until the queue drains to low bytes. Defaults:
// DefaultHighWater, DefaultLowWater.
func WithWatermarks(high, low int) Option {
	return func(o *options) { o.highWater, o.lowWater = max(high, 1), max(low, 0) }
}

// WithBalance chooses how a Server with one acceptor spreads connections
// over its loops (RoundRobin by default). It has no effect with
// WithReusePort.
func WithBalance(b Balance) Option { return func(o *options) { o.balance = b } }

// WithLinger bounds how long Close keeps sending the data a connection had
// already accepted into its write queue (DefaultLinger); past it the rest
// is dropped and the connection reset. Zero resets at once on Close, like
// SetLinger(0) on a net.TCPConn.
func WithLinger(d time.Duration) Option { return func(o *options) { o.linger = max(d, 0) } }

// WithDialTimeout bounds a Dial's connect (the context's deadline bounds
// it too).
func WithDialTimeout(d time.Duration) Option { return func(o *options) { o.dialTimeout = d } }

// WithIOUring chooses how connections on both faces read and write on
// Linux: batched through an io_uring per loop (on), or with a read(2) or
// write(2) each (off). Batched, readiness still comes from the loop's
// poller, but the reads of the connections it reports ready, and the
// small writes made on the loop, go to the kernel together: one
// io_uring_enter for up to 32 reads and the writes made since the last,
// each a recv or send with MSG_DONTWAIT that the kernel finishes inside
// that call. What is saved is the system call per read and per write
// (docs/netpoll.md describes it, docs/benchmarks.md has the measurements). A stream goes on with plain
// reads once a batched recv fills its buffer; writes past 4 KiB per
// connection and batch, and writes from other goroutines, go to the
// kernel directly.
//
// On by default where the kernel has io_uring with send and recv (Linux
// 5.6 or later, not disabled by sysctl or a seccomp filter), unless the
// environment sets WEFT_IO_URING=0; elsewhere it does nothing.
func WithIOUring(on bool) Option { return func(o *options) { o.ioUring = on } }

// EnvIOUring is the environment variable that turns WithIOUring's default
// off when set to "0" (package fs reads the same variable).
const EnvIOUring = "WEFT_IO_URING"
