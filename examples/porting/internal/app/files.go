package app

import (
	"os"
	"path/filepath"

	"github.com/weftio/weft/loop"
)

// Files reads the input files of one directory, in two styles: Read
// blocks, ReadAsync calls back.
type Files struct {
	l   *loop.Loop
	dir string
}

// NewFiles returns a reader for the files in dir whose callbacks run on l.
func NewFiles(l *loop.Loop, dir string) *Files { return &Files{l: l, dir: dir} }

// Read reads the named file and blocks until it has. Never call it on the
// loop: the whole loop would wait for the disk.
func (f *Files) Read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(f.dir, name))
}

// ReadAsync starts reading the named file and returns at once; cb runs on
// the loop with the contents or the error. It is the shape of a callback
// API over blocking I/O: the blocking call runs on a goroutine of its own
// and its completion is Posted to the loop, the one door into it. Safe
// from any goroutine. If the loop is closed by the time the read is done,
// cb never runs.
func (f *Files) ReadAsync(name string, cb func(data []byte, err error)) {
	go func() {
		data, err := f.Read(name)
		_ = f.l.Post(func() { cb(data, err) })
	}()
}
