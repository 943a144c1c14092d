package app

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

// The inputs are embedded so that the example runs from any directory, and
// written to a fresh directory at start so that reading them is real I/O.
//
//go:embed inputs/*.txt
var inputs embed.FS

// Inputs returns the names of the input files, sorted.
func Inputs() []string {
	entries, err := inputs.ReadDir("inputs")
	if err != nil {
		panic("app: embedded inputs missing: " + err.Error()) // a build mistake
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// WriteInputs writes the input files to a new temporary directory and
// returns its path; the caller removes it (os.RemoveAll).
func WriteInputs() (dir string, err error) {
	dir, err = os.MkdirTemp("", "weft-porting-")
	if err != nil {
		return "", err
	}
	for _, name := range Inputs() {
		data, err := fs.ReadFile(inputs, "inputs/"+name)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), data, 0o600)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}
