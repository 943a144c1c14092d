package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
	"github.com/weftio/weft/examples/crawler/demosite"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("site: ")
	listen := flag.String("listen", "127.0.0.1:0", "the site's address")
	statsAddr := flag.String("stats", "127.0.0.1:0", "the address of the counters (GET /stats[?reset=1])")
	var s crawl.Site
	flag.IntVar(&s.Pages, "pages", 2000, "pages of the site")
	flag.Int64Var(&s.Seed, "seed", 1, "the site generator's seed")
	flag.IntVar(&s.Links, "links", 0, "links per page (0: demosite's default)")
	flag.Parse()
	if flag.NArg() > 0 || s.Pages < 1 || s.Links < 0 {
		fmt.Fprintln(os.Stderr, "usage: site [-listen ADDR] [-stats ADDR] [-pages N>0] [-seed N] [-links N>=0]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	sln, err := net.Listen("tcp", *statsAddr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	log.Printf("stats on %s", sln.Addr())
	if err := serve(ctx, ln, sln, s); err != nil {
		log.Fatal(err)
	}
}

// serve serves s on ln and its counters on sln until ctx is done, then
// shuts both down (and closes the listeners); it returns once both have
// stopped.
func serve(ctx context.Context, ln, sln net.Listener, s crawl.Site) error {
	c := crawl.NewCounter(demosite.Handler(s.Options()))
	site := &http.Server{Handler: c, ConnState: c.ConnState, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	stats := &http.Server{Handler: c.StatsHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- site.Serve(ln) }()
	go func() { errc <- stats.Serve(sln) }()
	n := 2 // Serve calls yet to return
	var errs []error
	select {
	case err := <-errc: // one failed: stop the other too
		n--
		errs = append(errs, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs = append(errs, site.Shutdown(sctx), stats.Shutdown(sctx))
	for ; n > 0; n-- {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
