//go:build !linux

// Command filecopy copies a directory tree with weft's fs package, which
// is Linux only: elsewhere it says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "filecopy: weft's fs package is Linux only")
	os.Exit(1)
}
