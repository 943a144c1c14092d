//go:build linux

package loop_test

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// BenchmarkLoop_PipeWake measures I/O-driven wake-up: another goroutine
// writes a byte into a pipe registered with the loop; the handler drains it
// and answers on a channel. In "idle" the loop has been left alone for
// 200µs before each write (it is asleep in its poller; the round trip is
// reported as p50-ns/p90-ns/mean-ns); in "pingpong" writes follow each
// other at once (ns/op).
func BenchmarkLoop_PipeWake(b *testing.B) {
	for _, mode := range []string{"idle", "pingpong"} {
		b.Run("mode="+mode, func(b *testing.B) {
			l := looptest.Start(b)
			var fds [2]int
			if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
				b.Fatal(err)
			}
			r, w := fds[0], fds[1]
			resp := make(chan struct{}, 1)
			var buf [64]byte
			looptest.On(b, l, func() {
				err := l.Register(r, poller.Readable, handlerFunc(func(poller.Events) {
					for {
						if n, err := unix.Read(r, buf[:]); n <= 0 || err != nil {
							break
						}
					}
					resp <- struct{}{}
				}))
				if err != nil {
					b.Error(err)
				}
			})
			b.Cleanup(func() {
				looptest.On(b, l, func() { l.Unregister(r) })
				unix.Close(r)
				unix.Close(w)
			})
			one := []byte{1}
			if mode == "pingpong" {
				b.ResetTimer()
				for range b.N {
					unix.Write(w, one)
					<-resp
				}
				return
			}
			d := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range b.N {
				time.Sleep(200 * time.Microsecond)
				t0 := time.Now()
				unix.Write(w, one)
				<-resp
				d[i] = time.Since(t0)
			}
			b.StopTimer()
			reportLatencies(b, d)
		})
	}
}

// BenchmarkLoop_TimerLateness arms AfterFunc(d) on an idle loop and reports
// how late the callback runs (p50-ns/p90-ns/mean-ns), measured with the
// wall clock from just before the timer is armed.
func BenchmarkLoop_TimerLateness(b *testing.B) {
	for _, d := range []time.Duration{200 * time.Microsecond, 3 * time.Millisecond} {
		b.Run("d="+d.String(), func(b *testing.B) {
			l := looptest.Start(b)
			late := make(chan time.Duration, 1)
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range b.N {
				l.Post(func() {
					t0 := time.Now()
					l.AfterFunc(d, func() { late <- time.Since(t0) - d })
				})
				lat[i] = <-late
			}
			b.StopTimer()
			reportLatencies(b, lat)
		})
	}
}

// procThreads reads Threads from /proc/self/status.
func procThreads(b *testing.B) int {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip(err)
	}
	for line := range bytes.Lines(s) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	b.Skip("no Threads in /proc/self/status")
	return 0
}

// BenchmarkLoop_IdleThreads starts 8 loops, lets them go idle (half of
// them with a timer pending) and reports the process's OS threads
// (/proc/self/status) and threads created (pprof threadcreate), before
// and after. Run it alone (-bench IdleThreads -count 1) for clean numbers:
// the runtime never gives threads back.
func BenchmarkLoop_IdleThreads(b *testing.B) {
	before, createdBefore := procThreads(b), pprof.Lookup("threadcreate").Count()
	var loops []*loop.Loop
	for i := range 8 {
		l, err := loop.New()
		if err != nil {
			b.Fatal(err)
		}
		go l.Run()
		loops = append(loops, l)
		if i%2 == 0 {
			looptest.On(b, l, func() { l.AfterFunc(time.Hour, func() {}) })
		}
	}
	for range min(b.N, 5) {
		time.Sleep(20 * time.Millisecond)
		for _, l := range loops {
			looptest.On(b, l, func() {})
		}
	}
	time.Sleep(50 * time.Millisecond)
	b.ReportMetric(float64(procThreads(b)), "threads")
	b.ReportMetric(float64(before), "threads-before")
	b.ReportMetric(float64(pprof.Lookup("threadcreate").Count()-createdBefore), "threads-created")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
	for _, l := range loops {
		l.Close()
	}
}
