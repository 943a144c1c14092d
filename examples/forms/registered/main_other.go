//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "registered: sendmmsg and io_uring are Linux only")
	os.Exit(1)
}
