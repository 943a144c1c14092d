//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "proactor: io_uring is Linux only; see ../reactor")
	os.Exit(1)
}
