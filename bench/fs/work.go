//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
)

// A worker is one reader: a fiber (weft) or a goroutine (os), each with
// its own buffer and PRNG, so that the implementations read the same
// offsets in the same order for the same seed.
type worker struct {
	rng  *rand.Rand
	buf  []byte
	next int64 // sequential: the next offset
	end  int64 // sequential: the end of this worker's part

	ops, bytes int64
	errs, bad  int64
	firstErr   error
	lat        hist
	stopped    time.Time
}

func newWorkers(s spec) []*worker {
	ws := make([]*worker, s.depth)
	bs := int64(s.mode.bs)
	part := s.size / bs / int64(s.depth) * bs // sequential: each worker's share, whole reads
	for i := range ws {
		ws[i] = &worker{
			rng: rand.New(rand.NewPCG(s.seed, uint64(i))),
			// Aligned for every mode, O_DIRECT or not, so that no
			// implementation gets a different buffer.
			buf:  fs.AlignedBuffer(s.mode.bs),
			next: int64(i) * part,
			end:  int64(i+1) * part,
		}
	}
	if !s.mode.random {
		ws[len(ws)-1].end = s.size / bs * bs
	}
	return ws
}

// run reads with r until deadline (sequential: or the end of its part),
// timing every s.latEvery-th read.
func (w *worker) run(r io.ReaderAt, s spec, deadline time.Time) {
	defer func() { w.stopped = time.Now() }()
	bs := int64(s.mode.bs)
	slots := s.size / bs
	last := time.Now()
	for k := 0; ; k++ {
		var off int64
		if s.mode.random {
			off = w.rng.Int64N(slots) * bs
		} else {
			if w.next >= w.end {
				return
			}
			off = w.next
			w.next += bs
		}
		timed := k%s.latEvery == 0
		if timed && s.latEvery > 1 {
			last = time.Now() // otherwise the previous read's end is this one's start
		}
		n, err := r.ReadAt(w.buf, off)
		if err != nil || n != len(w.buf) {
			w.errs++
			if w.firstErr == nil {
				w.firstErr = fmt.Errorf("ReadAt(%d bytes at %d) = %d, %v", len(w.buf), off, n, err)
			}
			return
		}
		if !checkBlocks(w.buf, off) {
			w.bad++
			if w.firstErr == nil {
				w.firstErr = fmt.Errorf("ReadAt(%d bytes at %d): the data is not the file's at that offset", len(w.buf), off)
			}
		}
		w.ops++
		w.bytes += int64(n)
		if timed {
			now := time.Now()
			w.lat.add(now.Sub(last))
			last = now
			if !now.Before(deadline) {
				return
			}
		}
	}
}

// collect sums the workers' figures into r; the window runs from t0 to
// the last worker's stop.
func collect(r *result, ws []*worker, t0 time.Time, cpu float64) {
	var h hist
	end := t0
	for _, w := range ws {
		r.Ops += w.ops
		r.Bytes += w.bytes
		r.Errors += w.errs
		r.Bad += w.bad
		if w.firstErr != nil && r.FirstErr == "" {
			r.FirstErr = w.firstErr.Error()
		}
		h.merge(&w.lat)
		if w.stopped.After(end) {
			end = w.stopped
		}
	}
	r.WindowS = end.Sub(t0).Seconds()
	if r.WindowS > 0 {
		r.IOPS = float64(r.Ops) / r.WindowS
		r.MBps = float64(r.Bytes) / r.WindowS / 1e6
	}
	r.P50us = h.quantile(0.50).Seconds() * 1e6
	r.P99us = h.quantile(0.99).Seconds() * 1e6
	r.CPUS = cpu
}

// runOS reads with depth goroutines sharing one *os.File.
func runOS(s spec, r *result) error {
	flag := os.O_RDONLY
	if s.mode.direct {
		flag |= unix.O_DIRECT
	}
	f, err := os.OpenFile(s.file, flag, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	r.Threads = plural(s.depth, "goroutine")
	r.Note = "os: goroutines each calling (*os.File).ReadAt in a loop on one shared *os.File; each read blocks its thread in pread(2)"
	ws := newWorkers(s)
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		deadline time.Time
	)
	for _, w := range ws {
		wg.Go(func() {
			<-start
			w.run(f, s, deadline)
		})
	}
	c0 := cpuTime()
	t0 := time.Now()
	deadline = t0.Add(s.dur)
	close(start)
	wg.Wait()
	collect(r, ws, t0, cpuTime()-c0)
	return nil
}

// runWeft reads with depth fibers on one loop, whose file I/O goes
// through the back-end impl names.
func runWeft(s spec, impl string, r *result) error {
	want := fs.IOUring
	if impl == "weft-pool" {
		want = fs.Pool
	}
	flag := os.O_RDONLY
	if s.mode.direct {
		flag |= fs.O_DIRECT
	}
	r.Loops = 1
	r.Threads = plural(s.depth, "fiber") + " on 1 loop"
	r.Note = "weft: one loop (fiber.Run), the design point of one loop per core, with fibers each calling (*fs.File).ReadAt in a loop"
	ws := newWorkers(s)
	return fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		if err := fs.Configure(l, fs.WithBackend(want)); err != nil {
			return err
		}
		f, err := fs.OpenFile(ctx, s.file, flag, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		be, err := fs.BackendOf(l)
		if err != nil {
			return err
		}
		r.Backend = be.String()
		g, _ := fiber.NewGroup(ctx)
		s0 := l.Stats()
		c0 := cpuTime()
		t0 := time.Now()
		deadline := t0.Add(s.dur)
		for _, w := range ws {
			g.Go(func(context.Context) error {
				w.run(f, s, deadline)
				return nil
			})
		}
		err = g.Wait()
		collect(r, ws, t0, cpuTime()-c0)
		s1 := l.Stats()
		r.Turns, r.Polls, r.Events = s1.Turns-s0.Turns, s1.Polls-s0.Polls, s1.Events-s0.Events
		return err
	})
}

// plural is "1 fiber", "32 fibers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// hist is a histogram of durations with buckets 1/32 of a power of two
// wide (about 3 %), exact below 64 ns.
type hist struct {
	n      int64
	counts [60 << subBits]int64
}

const subBits = 5

func bucketOf(ns uint64) int {
	if ns < 2<<subBits {
		return int(ns)
	}
	e := bits.Len64(ns) - subBits - 1 // ns>>e is in [32, 64)
	return (e+1)<<subBits + int(ns>>e) - 1<<subBits
}

// middle returns the middle of bucket i, in nanoseconds.
func middle(i int) uint64 {
	if i < 2<<subBits {
		return uint64(i)
	}
	e := i>>subBits - 1
	m := uint64(i&(1<<subBits-1) + 1<<subBits)
	return m<<e + (1<<e)/2
}

func (h *hist) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the q-quantile (nearest rank), 0 if h is empty.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(middle(i))
		}
	}
	return 0
}
