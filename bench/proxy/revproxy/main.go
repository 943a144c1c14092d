// Command revproxy is the baseline of the proxy benchmark: Go's
// httputil.ReverseProxy in front of one upstream, as a Go program would
// usually run it.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := flag.String("upstream", "", "upstream address")
	flag.Parse()
	target, err := url.Parse("http://" + *upstream)
	if err != nil || *upstream == "" {
		log.Fatalf("revproxy: -upstream: %v", err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 1024, ForceAttemptHTTP2: false}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, rp))
}
