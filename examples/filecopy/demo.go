//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// demo makes a tree of 200 files in a temporary directory, copies it and
// checks the copy.
func demo(cfg config) error {
	root, err := os.MkdirTemp("", "weft-filecopy")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	src, dst := filepath.Join(root, "src"), filepath.Join(root, "dst")
	if err := makeTree(src, 200); err != nil {
		return err
	}
	st, err := copyTree(context.Background(), src, dst, cfg)
	if err != nil {
		return err
	}
	fmt.Println(st)
	if err := sameTree(src, dst); err != nil {
		return err
	}
	fmt.Println("the copy matches the source byte for byte")
	return nil
}

// makeTree writes n files of 64 KiB to 1 MiB of random bytes, spread over
// nested directories.
func makeTree(dir string, n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%d", i%5), fmt.Sprintf("e%d", i%3))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		data := make([]byte, 64<<10+rng.IntN(960<<10))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d", i)), data, 0o640); err != nil {
			return err
		}
	}
	return nil
}

// sameTree checks that dst holds the same files, bytes and permission
// bits as src.
func sameTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		other := filepath.Join(dst, rel)
		a, err := os.Lstat(path)
		if err != nil {
			return err
		}
		b, err := os.Lstat(other)
		if err != nil {
			return fmt.Errorf("missing from the copy: %s", rel)
		}
		if a.IsDir() != b.IsDir() || (!a.IsDir() && a.Mode() != b.Mode()) {
			return fmt.Errorf("%s: mode %v, copy %v", rel, a.Mode(), b.Mode())
		}
		if a.IsDir() {
			return nil
		}
		x, _ := os.ReadFile(path)
		y, _ := os.ReadFile(other)
		if !bytes.Equal(x, y) {
			return fmt.Errorf("%s differs in the copy", rel)
		}
		return nil
	})
}
