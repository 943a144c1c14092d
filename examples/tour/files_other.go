//go:build unix && !linux

package main

import (
	"fmt"
	"io"

	"github.com/weftio/weft/loop"
)

// tourFiles says why it does nothing: package fs is Linux only.
func tourFiles(w io.Writer, _ *loop.Loop, _ config) error {
	fmt.Fprintln(w, "files: package fs is Linux only")
	return nil
}
