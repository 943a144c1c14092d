//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import (
	"fmt"
	"os"
	"runtime"
)

// main explains that sockets on weft need epoll or kqueue (package
// netpoll, like its poller, exists only where one of them does).
func main() {
	fmt.Fprintf(os.Stderr, "echo: weft's sockets need epoll or kqueue; %s has neither\n", runtime.GOOS)
	os.Exit(1)
}
