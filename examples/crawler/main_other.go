//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import (
	"fmt"
	"os"
	"runtime"
)

// main explains that the crawler runs on weft's sockets, which need epoll
// or kqueue (package netpoll exists only where one of them does).
func main() {
	fmt.Fprintf(os.Stderr, "crawler: weft's sockets need epoll or kqueue; %s has neither\n", runtime.GOOS)
	os.Exit(1)
}
