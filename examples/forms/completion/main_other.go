//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "completion: io_uring is Linux only")
	os.Exit(1)
}
