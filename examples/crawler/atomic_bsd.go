//go:build darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/weftio/weft/fiber"
)

// writeAtomic writes data to path atomically on the offload pool (weft's
// package fs is Linux-only): a temporary file in the same directory,
// fsynced, renamed over path, and the directory fsynced.
func writeAtomic(ctx context.Context, path string, data []byte) error {
	_, err := fiber.Blocking(ctx, func(context.Context) (struct{}, error) {
		dir := filepath.Dir(path)
		f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
		if err != nil {
			return struct{}{}, err
		}
		defer os.Remove(f.Name()) // fails harmlessly once renamed
		if _, err := f.Write(data); err != nil {
			f.Close()
			return struct{}{}, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return struct{}{}, err
		}
		if err := f.Close(); err != nil {
			return struct{}{}, err
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return struct{}{}, err
		}
		if err := os.Rename(f.Name(), path); err != nil {
			return struct{}{}, err
		}
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
		return struct{}{}, nil
	})
	return err
}
