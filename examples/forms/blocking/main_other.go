//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "blocking: finds its threads in /proc, which is Linux only")
	os.Exit(1)
}
