//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftio/weft/fs"
)

// TestCopyTree copies a generated tree with each back-end and checks it.
func TestCopyTree(t *testing.T) {
	for _, b := range []fs.Backend{fs.Auto, fs.Pool} {
		t.Run(b.String(), func(t *testing.T) {
			root := t.TempDir()
			src, dst := filepath.Join(root, "src"), filepath.Join(root, "dst")
			if err := makeTree(src, 40); err != nil {
				t.Fatal(err)
			}
			os.Symlink("f000", filepath.Join(src, "link"))
			st, err := copyTree(context.Background(), src, dst, config{inFlight: 8, backend: b, chunk: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if st.Files != 40 || st.Skipped != 1 || st.Bytes == 0 {
				t.Fatalf("stats: %+v", st)
			}
			os.Remove(filepath.Join(src, "link"))
			if err := sameTree(src, dst); err != nil {
				t.Fatal(err)
			}
			// A second copy onto an existing destination fails.
			if _, err := copyTree(context.Background(), src, dst, config{inFlight: 8, backend: b, chunk: 64 << 10}); err == nil {
				t.Fatal("copy onto an existing directory succeeded")
			}
		})
	}
}

// TestDemo runs the command with no arguments, as the README does.
func TestDemo(t *testing.T) {
	out, err := exec.Command("go", "run", ".").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "matches the source") {
		t.Fatalf("go run .: %v\n%s", err, out)
	}
}
