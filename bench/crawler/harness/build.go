package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// weftModule is the first line of the weft module's go.mod.
const weftModule = "module github.com/weftio/weft\n"

// findRoot is the weft repository holding the working directory: the
// nearest directory upwards whose go.mod is the weft module's.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte(weftModule)) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no weft module (github.com/weftio/weft) above the working directory")
		}
		dir = up
	}
}

// build builds weft's crawler (from the weft module at root), the colly
// crawler, the site server and the launcher (from its bench module) into
// dir, with the go command on the PATH.
func build(root, dir string) error {
	steps := []struct{ dir, out, pkg string }{
		{root, weftBin, "./examples/crawler"},
		{filepath.Join(root, "bench"), collyBin, "./crawler/colly"},
		{filepath.Join(root, "bench"), siteBin, "./crawler/site"},
		{filepath.Join(root, "bench"), launchBin, "./crawler/launch"},
	}
	for _, s := range steps {
		fmt.Fprintf(os.Stderr, "go build -o %s %s (in %s)\n", filepath.Join(dir, s.out), s.pkg, s.dir)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, s.out), s.pkg)
		cmd.Dir = s.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", s.pkg, err, out)
		}
	}
	return nil
}
