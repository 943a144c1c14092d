//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "threads: tells threads apart by gettid(2), which is Linux only")
	os.Exit(1)
}
