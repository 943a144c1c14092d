package main

import (
	"context"

	wfs "github.com/weftio/weft/fs"
)

// writeAtomic writes data to path atomically with weft's fs.WriteFile: a
// temporary file in the same directory, written and fsynced through the
// loop's io_uring (or its worker pool), renamed over path, and the
// directory fsynced.
func writeAtomic(ctx context.Context, path string, data []byte) error {
	return wfs.WriteFile(ctx, path, data, 0o644)
}
