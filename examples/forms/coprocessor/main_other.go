//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "coprocessor: shows io_uring's workers, which are Linux only")
	os.Exit(1)
}
