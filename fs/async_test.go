//go:build linux

package fs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftio/weft/fs"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/loop"
)

// TestFutureFace writes, syncs and reads a file from plain loop tasks
// through futures, on each back-end, and cancels one through its context.
func TestFutureFace(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.String(), func(t *testing.T) {
			fdtest.Check(t)
			name := filepath.Join(t.TempDir(), "f")
			l, err := loop.New()
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if err := fs.Configure(l, fs.WithBackend(b)); err != nil {
				t.Fatal(err)
			}
			want := bytes.Repeat([]byte("future "), 10000)
			got := make([]byte, len(want)+10)
			type outcome struct {
				n   int
				err error
			}
			res := make(chan outcome, 1)
			cancelled := make(chan error, 1)
			ctx := context.Background()
			l.Post(func() {
				var f *fs.File
				open := fs.OpenAsync(ctx, l, name, os.O_RDWR|os.O_CREATE, 0o644)
				wrote := future.FlatMap(open, func(file *fs.File) *future.Future[int] {
					f = file
					return f.WriteAtAsync(ctx, want, 0)
				})
				synced := future.FlatMap(wrote, func(int) *future.Future[struct{}] { return f.SyncAsync(ctx) })
				read := future.FlatMap(synced, func(struct{}) *future.Future[int] { return f.ReadAtAsync(ctx, got, 0) })
				read.OnSettled(func(n int, err error) {
					res <- outcome{n, err}
					if f == nil {
						l.Stop()
						return
					}
					// An already cancelled context: rejected, nothing done.
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					f.ReadAtAsync(cctx, got, 0).OnSettled(func(_ int, err error) {
						cancelled <- err
						f.Close()
						l.Stop()
					})
				})
			})
			if err := l.Run(); err != nil {
				t.Fatal(err)
			}
			r := <-res
			if r.err != nil || r.n != len(want) || !bytes.Equal(got[:r.n], want) {
				t.Fatalf("ReadAtAsync = %d, %v (equal %v); want %d: the count below len(b) at the end of the file", r.n, r.err, bytes.Equal(got[:r.n], want), len(want))
			}
			if err := <-cancelled; !errors.Is(err, context.Canceled) {
				t.Fatalf("a cancelled ReadAtAsync: %v", err)
			}
		})
	}
}
