//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	weftdebug "github.com/weftio/weft/debug"
	"github.com/weftio/weft/examples/crawler/demosite"
)

// config is the command line.
type config struct {
	seeds       []string
	depth       int
	maxPages    int
	concurrency int
	perHost     int
	delay       time.Duration
	timeout     time.Duration
	maxBody     int64
	scope       string
	robots      bool
	userAgent   string
	out         string
	state       string
	progress    bool
	loops       int
	checkpoint  time.Duration
	ca          string
	demoPages   int
}

// Limits on the flags, checked by parse.
const (
	maxDepthFlag   = 1 << 20
	maxConcurrency = 1 << 16
)

// defaultUserAgent's product token, weft-crawler, is what robots.txt
// groups are matched against.
const defaultUserAgent = "weft-crawler/1.0 (+https://github.com/weftio/weft)"

// Exit statuses.
const (
	exitOK          = 0
	exitError       = 1   // the crawl could not run or its output failed
	exitUsage       = 2   // a bad flag or seed
	exitInterrupted = 130 // SIGINT or SIGTERM: checkpoint written, as a shell reports a SIGINT
)

func main() {
	c, err := parse(os.Args[1:], isTerminal(os.Stderr))
	if errors.Is(err, flag.ErrHelp) {
		usage(os.Stderr)
		os.Exit(exitOK)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "crawler: %v (crawler -h for help)\n", err)
		os.Exit(exitUsage)
	}
	if os.Getenv("WEFT_DEBUG") == "1" {
		// Debug mode (docs/debugging.md): kill -QUIT prints every loop
		// and fiber, what each waits for and for how long.
		defer weftdebug.InstallSIGQUIT(os.Stderr)()
	}
	// The first SIGINT or SIGTERM stops dispatching and lets the requests
	// in flight finish; a second one cancels them.
	stop, stopNow := context.WithCancel(context.Background())
	kill, killNow := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "\ncrawler: stopping: finishing the requests in flight (again to cancel them)")
		stopNow()
		<-sigs
		killNow()
	}()
	_, err = run(stop, kill, c, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, errInterrupted):
		os.Exit(exitInterrupted)
	case err != nil:
		fmt.Fprintln(os.Stderr, "crawler:", err)
		os.Exit(exitError)
	}
}

// newFlags declares the flags on fs, into c.
func newFlags(c *config, tty bool) *flag.FlagSet {
	fs := flag.NewFlagSet("crawler", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse's error is the one line printed
	fs.IntVar(&c.depth, "depth", 3, "follow links up to this many hops from a seed (a seed is depth 0)")
	fs.IntVar(&c.maxPages, "max-pages", 0, "stop after this many pages (0: no limit)")
	fs.IntVar(&c.concurrency, "concurrency", 64, "requests in flight overall")
	fs.IntVar(&c.perHost, "per-host", 4, "requests in flight to one host")
	fs.DurationVar(&c.delay, "delay", 0, "minimum time between the starts of two requests to one host")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "time for a whole request: connect, TLS, headers and body")
	fs.Int64Var(&c.maxBody, "max-body", 10<<20, "longest body read, in bytes; longer ones are cut and marked truncated")
	fs.StringVar(&c.scope, "scope", "host", "host (the seeds' hosts), domain (their registrable domains) or any")
	fs.BoolVar(&c.robots, "robots", true, "obey robots.txt (its groups for User-agent: * and for -user-agent's product token)")
	fs.StringVar(&c.userAgent, "user-agent", defaultUserAgent, "User-Agent header")
	fs.StringVar(&c.out, "out", "", "write the JSON Lines records to this file (default: standard output)")
	fs.StringVar(&c.state, "state", "", "checkpoint file: written on exit (and every -checkpoint); a crawl restarted with it goes on where it stopped")
	fs.BoolVar(&c.progress, "progress", tty, "show a progress line on standard error (default: when it is a terminal)")
	fs.IntVar(&c.loops, "loops", runtime.GOMAXPROCS(0), "event loops (one per core by default)")
	fs.DurationVar(&c.checkpoint, "checkpoint", time.Minute, "with -state, also write the checkpoint this often (0: only on exit)")
	fs.StringVar(&c.ca, "ca", "", "PEM file of certificates to trust for https, besides the system's")
	fs.IntVar(&c.demoPages, "demo-pages", demosite.DefaultPages, "pages of the demo site crawled when no seed is given")
	return fs
}

// usage prints the synopsis and the flags.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: crawler [flags] [SEED_URL ...]\n\nWith no seed, crawls a demo site served on loopback. Flags:")
	var c config
	fs := newFlags(&c, false)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parse reads the command line; tty is whether stderr is a terminal (the
// default of -progress). An error names the flag or seed at fault.
func parse(args []string, tty bool) (config, error) {
	var c config
	fs := newFlags(&c, tty)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, a := range fs.Args() {
		u, err := parseSeed(a)
		if err != nil {
			return c, fmt.Errorf("seed %q: %v", a, err)
		}
		c.seeds = append(c.seeds, u)
	}
	switch {
	case c.depth < 0 || c.depth > maxDepthFlag:
		return c, fmt.Errorf("-depth %d: want 0 to %d", c.depth, maxDepthFlag)
	case c.maxPages < 0:
		return c, fmt.Errorf("-max-pages %d: want 0 (no limit) or more", c.maxPages)
	case c.concurrency < 1 || c.concurrency > maxConcurrency:
		return c, fmt.Errorf("-concurrency %d: want 1 to %d", c.concurrency, maxConcurrency)
	case c.perHost < 1:
		return c, fmt.Errorf("-per-host %d: want at least 1", c.perHost)
	case c.delay < 0:
		return c, fmt.Errorf("-delay %v: want 0 or more", c.delay)
	case c.timeout <= 0:
		return c, fmt.Errorf("-timeout %v: want more than 0", c.timeout)
	case c.maxBody < 1:
		return c, fmt.Errorf("-max-body %d: want at least 1 byte", c.maxBody)
	case c.scope != "host" && c.scope != "domain" && c.scope != "any":
		return c, fmt.Errorf("-scope %q: want host, domain or any", c.scope)
	case c.userAgent == "":
		return c, errors.New("-user-agent: want a name")
	case c.loops < 1 || c.loops > 1024:
		return c, fmt.Errorf("-loops %d: want 1 to 1024", c.loops)
	case c.checkpoint < 0:
		return c, fmt.Errorf("-checkpoint %v: want 0 or more", c.checkpoint)
	case c.demoPages < 1:
		return c, fmt.Errorf("-demo-pages %d: want at least 1", c.demoPages)
	}
	return c, nil
}

// isTerminal reports whether f is a character device (a terminal, in
// practice: /dev/null is one too, and then a progress line costs nothing).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startDemo serves the demo site on loopback with net/http, for a crawl
// given no seed, and returns its URL.
func startDemo(pages int) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: demosite.Handler(demosite.Options{Pages: pages}), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/", func() { srv.Close(); <-done }, nil
}
