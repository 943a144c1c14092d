package uring_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// BenchmarkRing_Read4KWarmRegistered is BenchmarkRing_Read4KWarm with the
// file registered (IOSQE_FIXED_FILE: no fd look-up and reference count per
// read) and with the buffers registered too (READ_FIXED: no page pinning
// per read): the registered-I/O idea, for small reads where the per-read
// overhead is the whole cost. It decides whether package fs uses them
// (docs/fs.md).
func BenchmarkRing_Read4KWarmRegistered(b *testing.B) {
	fd, offs := benchFile(b)
	for _, mode := range []string{"plain", "file", "file+buffers"} {
		b.Run("reg="+mode, func(b *testing.B) {
			r := newRing(b, uring.Config{Entries: benchBatch})
			bufs := make([][]byte, benchBatch)
			for i := range bufs {
				bufs[i] = make([]byte, benchReadSize)
			}
			target, flags := fd, uint8(0)
			if mode != "plain" {
				if err := r.RegisterFiles([]int32{int32(fd)}); err != nil {
					b.Fatal(err)
				}
				target, flags = 0, uring.SQEFixedFile
			}
			if mode == "file+buffers" {
				if err := r.RegisterBuffers(bufs); err != nil {
					b.Fatal(err)
				}
			}
			readBatches(b, r, offs, func(s *uring.SQE, j int, off uint64) {
				if mode == "file+buffers" {
					s.PrepReadFixed(target, bufs[j], off, uint16(j))
				} else {
					s.PrepRead(target, bufs[j], off)
				}
				s.SetFlags(flags)
			})
		})
	}
}

// BenchmarkRing_Read4KDirectRegistered reads 4 KiB blocks with O_DIRECT at
// random aligned offsets, 32 in flight, plain and with the 32 buffers
// registered (READ_FIXED: the kernel pins their pages once, not per
// read), and reports the process's CPU time per read: the disk sets the
// pace, so CPU is what registration could save. The file is
// $WEFT_URING_DIRECT_FILE if set (scripts/bench_fs.sh's 1 GiB file, say),
// else a 256 MiB file written for the run, mostly in the host's cache.
func BenchmarkRing_Read4KDirectRegistered(b *testing.B) {
	path := os.Getenv("WEFT_URING_DIRECT_FILE")
	size := int64(256 << 20)
	if path == "" {
		path = filepath.Join(b.TempDir(), "direct")
		data := make([]byte, size)
		rand.NewChaCha8([32]byte{}).Read(data)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	} else if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	for _, mode := range []string{"plain", "buffers"} {
		b.Run("reg="+mode, func(b *testing.B) {
			r := newRing(b, uring.Config{Entries: 64})
			bufs := make([][]byte, benchBatch)
			for i := range bufs {
				bufs[i] = alignedBlock(benchReadSize)
			}
			if mode == "buffers" {
				if err := r.RegisterBuffers(bufs); err != nil {
					b.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(3, 4))
			submit := func(j int) {
				s := r.SQE()
				off := uint64(rng.Int64N(size/benchReadSize)) * benchReadSize
				if mode == "buffers" {
					s.PrepReadFixed(fd, bufs[j], off, uint16(j))
				} else {
					s.PrepRead(fd, bufs[j], off)
				}
				s.SetUserData(uint64(j))
			}
			done := 0
			var free []int
			reap := func(c uring.CQE) {
				if c.Res != benchReadSize {
					b.Fatalf("read: Res %d", c.Res)
				}
				done++
				free = append(free, int(c.UserData))
			}
			var before, after unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &before)
			b.ResetTimer()
			started := 0
			for j := 0; j < benchBatch && started < b.N; j++ {
				submit(j)
				started++
			}
			for done < b.N {
				if _, err := r.SubmitAndWait(1); err != nil {
					b.Fatal(err)
				}
				free = free[:0]
				r.Reap(reap)
				for _, j := range free {
					if started < b.N {
						submit(j)
						started++
					}
				}
			}
			b.StopTimer()
			unix.Getrusage(unix.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
		})
	}
}

// alignedBlock returns n bytes at a 4096-aligned address, for O_DIRECT.
func alignedBlock(n int) []byte {
	buf := make([]byte, n+4096)
	skip := (4096 - int(uintptr(unsafe.Pointer(&buf[0]))%4096)) % 4096
	return buf[skip : skip+n : skip+n]
}
