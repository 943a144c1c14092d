//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
	wsync "github.com/weftio/weft/sync"
)

type config struct {
	inFlight int
	backend  fs.Backend
	chunk    int
}

// copyTree copies the tree at src to dst, which must not exist, on one
// loop: the walk runs in the main fiber, each file in a fiber of a group,
// at most cfg.inFlight at once. The first error cancels the rest.
func copyTree(ctx context.Context, src, dst string, cfg config) (stats, error) {
	var st stats
	start := time.Now()
	err := fiber.Run(ctx, func(ctx context.Context) error {
		if cfg.backend != fs.Auto {
			if err := fs.Configure(fiber.Loop(ctx), fs.WithBackend(cfg.backend)); err != nil {
				return err
			}
		}
		var err error
		if st.Backend, err = fs.BackendOf(fiber.Loop(ctx)); err != nil {
			return err
		}
		g, gctx := fiber.NewGroup(ctx)
		sem := wsync.NewSemaphore(int64(cfg.inFlight))
		werr := walk(gctx, g, sem, src, dst, cfg, &st)
		if err := g.Wait(); err != nil {
			return err
		}
		return werr
	})
	st.Elapsed = time.Since(start)
	return st, err
}

// walk makes dst and copies src's entries into it.
func walk(ctx context.Context, g *fiber.Group, sem *wsync.Semaphore, src, dst string, cfg config, st *stats) error {
	fi, err := fs.Stat(ctx, src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", src)
	}
	if err := fs.Mkdir(ctx, dst, fi.Mode().Perm()|0o700); err != nil {
		return err
	}
	st.Dirs++
	ents, err := fs.ReadDir(ctx, src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		switch {
		case e.IsDir():
			if err := walk(ctx, g, sem, from, to, cfg, st); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if err := sem.Acquire(ctx, 1); err != nil {
				return err
			}
			g.Go(func(ctx context.Context) error {
				defer sem.Release(1)
				n, err := copyFile(ctx, from, to, cfg.chunk)
				st.Files++
				st.Bytes += n
				return err
			})
		default:
			st.Skipped++
		}
	}
	return nil
}

// copyFile copies one regular file, syncs it and gives it from's mode.
func copyFile(ctx context.Context, from, to string, chunk int) (int64, error) {
	in, err := fs.Open(ctx, from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := fs.OpenFile(ctx, to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return 0, err
	}
	buf := make([]byte, chunk)
	var off int64
	for {
		n, rerr := in.ReadAt(buf, off)
		if n > 0 {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				out.Close()
				return off, err
			}
			off += int64(n)
		}
		if rerr != nil {
			if rerr != io.EOF {
				out.Close()
				return off, rerr
			}
			break
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return off, err
	}
	return off, out.Close()
}
