//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/process"
)

// pattern returns n bytes that differ from one position to the next, so
// a lost or repeated chunk shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// Both ends in fibers: a writer of more than the pipe holds parks until
// the reader reads; the reader sees everything, then EOF.
func TestPipeFibers(t *testing.T) {
	data := pattern(3 << 20)
	run(t, func(ctx context.Context) error {
		r, w, err := process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		defer r.Close()
		writer := spawn(ctx, func(context.Context) error {
			if _, err := w.Write(data); err != nil {
				return err
			}
			return w.Close()
		})
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			return fmt.Errorf("read %d bytes of %d, %v", len(got), len(data), err)
		}
		return writer()
	})
}

// Close wakes a parked Read and a parked Write with os.ErrClosed, from a
// fiber or from another goroutine; a second Close says it is closed.
func TestPipeCloseWakes(t *testing.T) {
	run(t, func(ctx context.Context) error {
		r, w, err := process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		reader := spawn(ctx, func(context.Context) error { _, err := r.Read(make([]byte, 10)); return err })
		fiber.Yield(ctx) // the reader parks
		if _, err := fiber.Blocking(ctx, func(context.Context) (struct{}, error) { return struct{}{}, r.Close() }); err != nil {
			return err
		}
		if err := reader(); !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("parked Read after Close: %v, want os.ErrClosed", err)
		}
		if err := r.Close(); !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("second Close: %v", err)
		}
		// The reader is gone: a write fails with EPIPE.
		if _, err := w.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
			return fmt.Errorf("write with no reader: %v, want EPIPE", err)
		}
		w.Close()

		r, w, err = process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		defer r.Close()
		writer := spawn(ctx, func(context.Context) error { _, err := w.Write(make([]byte, 1<<20)); return err })
		fiber.Yield(ctx) // the writer fills the pipe and parks
		if err := w.Close(); err != nil {
			return err
		}
		if err := writer(); !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("parked Write after Close: %v, want os.ErrClosed", err)
		}
		return nil
	})
}

// A parked Read or Write ends with its fiber's context.
func TestPipeCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		r, w, err := process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		defer r.Close()
		defer w.Close()
		cctx, cancel := context.WithCancel(ctx)
		reader := spawn(cctx, func(context.Context) error { _, err := r.Read(make([]byte, 10)); return err })
		writer := spawn(cctx, func(context.Context) error { _, err := w.Write(make([]byte, 1<<20)); return err })
		fiber.Yield(ctx)
		cancel()
		if err := reader(); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("Read: %v, want context.Canceled", err)
		}
		if err := writer(); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("Write: %v, want context.Canceled", err)
		}
		return nil
	})
}

// The callback faces: a writer on the loop queues up to its high mark
// and then refuses with ErrQueueFull; a reader with a handler drains it,
// OnDrain says when to go on, and every byte accepted arrives in order.
func TestPipeCallbacks(t *testing.T) {
	fdtest.Check(t)
	l := looptest.Start(t)
	data := pattern(4 << 20)
	done := make(chan error, 1)
	looptest.On(t, l, func() {
		r, w, err := process.Pipe(l)
		if err != nil {
			done <- err
			return
		}
		if _, err := r.Read(nil); !errors.Is(err, process.ErrNotFiber) {
			done <- fmt.Errorf("Read outside a fiber: %v", err)
			return
		}
		var got bytes.Buffer
		off, refused, drains := 0, 0, 0
		var pump func()
		pump = func() {
			for off < len(data) {
				n, err := w.Write(data[off:min(off+100000, len(data))])
				if errors.Is(err, process.ErrQueueFull) {
					refused++
					return // OnDrain calls again
				}
				if err != nil {
					done <- err
					return
				}
				off += n
			}
			w.Close() // once the queue is out
		}
		w.OnDrain(func() { drains++; pump() })
		pump()
		if refused == 0 || off >= len(data) {
			done <- fmt.Errorf("nothing refused with nobody reading (%d bytes taken)", off)
			return
		}
		r.SetHandler(process.ReadHandler{
			Data: func(b []byte) { got.Write(b) },
			Close: func(err error) {
				switch {
				case err != io.EOF:
					done <- fmt.Errorf("reader ended with %v", err)
				case !bytes.Equal(got.Bytes(), data):
					done <- fmt.Errorf("read %d bytes of %d, or not in order", got.Len(), len(data))
				case drains == 0:
					done <- errors.New("OnDrain never ran")
				default:
					done <- nil
				}
			},
		})
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Write from a goroutine outside the loop blocks that goroutine, not the
// loop, and keeps its data whole.
func TestPipeRemoteWrite(t *testing.T) {
	data := pattern(1 << 20)
	run(t, func(ctx context.Context) error {
		r, w, err := process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		defer r.Close()
		wrote := make(chan error, 1)
		go func() {
			_, err := w.Write(data)
			if err == nil {
				err = w.Close()
			}
			wrote <- err
		}()
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			return fmt.Errorf("read %d of %d bytes, %v", len(got), len(data), err)
		}
		_, err = fiber.Blocking(ctx, func(context.Context) (struct{}, error) { return struct{}{}, <-wrote })
		return err
	})
}

// Pipes still open when the loop closes are closed with it, and a
// goroutine blocked writing to one is let go.
func TestPipeLoopClose(t *testing.T) {
	fdtest.Check(t)
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	go l.Run()
	var w *process.PipeWriter
	looptest.On(t, l, func() {
		if _, w, err = process.Pipe(l); err != nil {
			t.Error(err)
		}
	})
	if w == nil {
		t.FailNow()
	}
	wrote := make(chan error, 1)
	go func() { _, err := w.Write(make([]byte, 1<<20)); wrote <- err }()
	// The write fills the pipe and waits; the loop closes under it.
	if _, _, err := process.Pipe(l); err == nil {
		t.Error("Pipe from outside the loop succeeded")
	}
	l.Close()
	if err := <-wrote; !errors.Is(err, os.ErrClosed) {
		t.Errorf("blocked Write after the loop closed: %v, want os.ErrClosed", err)
	}
	if err := w.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Close after the loop closed: %v", err)
	}
}
