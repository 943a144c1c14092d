//go:build !(linux || darwin || freebsd || netbsd || openbsd)

// Command proxy is a reverse proxy on weft's sockets, which this system
// does not have: it says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "proxy: weft's sockets (package netpoll) do not run on this system")
	os.Exit(1)
}
