//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "harness: the forms benchmark is Linux only")
	os.Exit(1)
}
