//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "formsbench: Linux only (io_uring, epoll, /proc)")
	os.Exit(1)
}
