package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"
)

func main() {
	cfg := config{}
	flag.IntVar(&cfg.depth, "depth", 3, "links to follow from the seed (the seed is depth 0)")
	flag.IntVar(&cfg.concurrency, "concurrency", 64, "requests in flight overall")
	flag.IntVar(&cfg.perHost, "per-host", 64, "requests in flight per host (colly: see the package doc)")
	flag.DurationVar(&cfg.delay, "delay", 0, "colly's LimitRule.Delay: a pause after each request, holding its slot")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "the whole request, redirects and body included")
	flag.IntVar(&cfg.maxBody, "max-body", 10<<20, "bytes of a body read at most (longer ones are cut)")
	flag.StringVar(&cfg.scope, "scope", "host", "host: stay on the seed's host; any: follow every link")
	flag.BoolVar(&cfg.robots, "robots", true, "obey robots.txt")
	flag.StringVar(&cfg.userAgent, "user-agent", "colly-bench", "the User-Agent header, and the robots.txt group obeyed")
	out := flag.String("out", "", "the JSON Lines output (default stdout)")
	flag.BoolVar(&cfg.shippedStore, "shipped-store", false, "keep colly's own visited store, which may fetch a page twice (see the package doc)")
	flag.Parse()
	if flag.NArg() != 1 {
		usage("one SEED_URL is needed")
	}
	cfg.seed = flag.Arg(0)
	if err := cfg.validate(); err != nil {
		usage(err.Error())
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "colly:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	t0 := time.Now()
	sum, err := run(cfg, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "colly:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "colly: %d fetched, %d errors in %.2f s\n", sum.fetched, sum.errors, time.Since(t0).Seconds())
}

// usage ends the program with a one-line message and status 2.
func usage(msg string) {
	fmt.Fprintf(os.Stderr, "colly: %s (usage: colly [flags] SEED_URL; -h lists the flags)\n", msg)
	os.Exit(2)
}

// validate checks cfg's settings, each with its own message.
func (cfg *config) validate() error {
	u, err := url.Parse(cfg.seed)
	switch {
	case err != nil:
		return fmt.Errorf("seed: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("seed %q: not an http or https URL", cfg.seed)
	case cfg.depth < 0:
		return errors.New("-depth must be 0 or more")
	case cfg.concurrency < 1 || cfg.perHost < 1:
		return errors.New("-concurrency and -per-host must be 1 or more")
	case cfg.delay < 0 || cfg.timeout <= 0:
		return errors.New("-delay must be 0 or more and -timeout more than 0")
	case cfg.maxBody < 1:
		return errors.New("-max-body must be 1 or more")
	case cfg.scope != "host" && cfg.scope != "any":
		return fmt.Errorf("-scope %q: host or any (colly has no domain scope)", cfg.scope)
	}
	return nil
}
