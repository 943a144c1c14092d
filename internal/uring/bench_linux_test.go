package uring_test

import (
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// BenchmarkRing_NopRoundTrip measures one nop through the ring alone:
// SQE, one io_uring_enter that submits it and finds its CQE, and Reap.
// It is the floor of every operation's cost.
func BenchmarkRing_NopRoundTrip(b *testing.B) {
	r := newRing(b, uring.Config{Entries: 8})
	reaped := 0
	count := func(uring.CQE) { reaped++ }
	b.ReportAllocs()
	for b.Loop() {
		r.SQE().PrepNop()
		if _, err := r.SubmitAndWait(1); err != nil {
			b.Fatal(err)
		}
		r.Reap(count)
	}
	if reaped != b.N {
		b.Fatalf("reaped %d CQEs for %d nops", reaped, b.N)
	}
}

// BenchmarkGetppid is BenchmarkRing_NopRoundTrip's baseline: the cheapest
// system call, so that the nop's cost reads as so many system calls.
func BenchmarkGetppid(b *testing.B) {
	for b.Loop() {
		unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	}
}

const (
	benchFileSize = 64 << 20
	benchReadSize = 4 << 10
	benchBatch    = 32
)

// BenchmarkRing_Read4KWarm reads 4 KiB at random aligned offsets of a
// 64 MiB file that is in the page cache, 32 reads per Submit: each
// SubmitAndWait copies the 32 blocks inside the one system call.
// BenchmarkPread4KWarm is the baseline.
func BenchmarkRing_Read4KWarm(b *testing.B) {
	fd, offs := benchFile(b)
	r := newRing(b, uring.Config{Entries: benchBatch})
	bufs := make([][]byte, benchBatch)
	for i := range bufs {
		bufs[i] = make([]byte, benchReadSize)
	}
	readBatches(b, r, offs, func(s *uring.SQE, j int, off uint64) { s.PrepRead(fd, bufs[j], off) })
}

// readBatches reads b.N 4 KiB blocks at offs in batches of benchBatch,
// one SubmitAndWait per batch, each entry made by prep (j is its buffer's
// index), and checks every count.
func readBatches(b *testing.B, r *uring.Ring, offs []uint64, prep func(s *uring.SQE, j int, off uint64)) {
	check := func(c uring.CQE) {
		if c.Res != benchReadSize {
			b.Fatalf("read %d: Res %d", c.UserData, c.Res)
		}
	}
	b.SetBytes(benchReadSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		n := min(benchBatch, b.N-i)
		for j := range n {
			s := r.SQE()
			prep(s, j, offs[(i+j)%len(offs)])
			s.SetUserData(uint64(j))
		}
		if _, err := r.SubmitAndWait(uint32(n)); err != nil {
			b.Fatal(err)
		}
		r.Reap(check)
		i += n
	}
}

// BenchmarkPread4KWarm is BenchmarkRing_Read4KWarm's baseline: the same
// reads of the same file, one pread(2) each.
func BenchmarkPread4KWarm(b *testing.B) {
	fd, offs := benchFile(b)
	buf := make([]byte, benchReadSize)
	b.SetBytes(benchReadSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := unix.Pread(fd, buf, int64(offs[i%len(offs)]))
		if n != benchReadSize || err != nil {
			b.Fatalf("pread: %d, %v", n, err)
		}
	}
}

// The benchmarks' file, made once for the run and removed by TestMain.
var bench struct {
	once sync.Once
	dir  string
	fd   int
	offs []uint64
	err  error
}

// benchFile returns a read-only descriptor of a 64 MiB file of random
// bytes, in the page cache since it was just written, and 4096 random
// 4 KiB-aligned offsets into it, the same on every run.
func benchFile(b *testing.B) (int, []uint64) {
	bench.once.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		bench.offs = make([]uint64, 4096)
		for i := range bench.offs {
			bench.offs[i] = uint64(rng.IntN(benchFileSize/benchReadSize)) * benchReadSize
		}
		if bench.dir, bench.err = os.MkdirTemp("", "uring-bench-"); bench.err != nil {
			return
		}
		data := make([]byte, benchFileSize)
		chacha := rand.NewChaCha8([32]byte{})
		chacha.Read(data)
		path := bench.dir + "/data"
		if bench.err = os.WriteFile(path, data, 0o600); bench.err != nil {
			return
		}
		bench.fd, bench.err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.fd, bench.offs
}

// removeBenchFile closes and removes the benchmarks' file, if one was made.
func removeBenchFile() {
	if bench.dir == "" {
		return
	}
	if bench.fd > 0 {
		unix.Close(bench.fd)
	}
	os.RemoveAll(bench.dir)
}
