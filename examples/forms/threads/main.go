//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "threads:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	// 10,000 goroutines waiting at once: each costs a small stack.
	const parked = 10_000
	var before, after runtime.MemStats
	runtime.GC() // frees the stacks that ended goroutines left cached
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range parked {
		wg.Go(func() { <-release })
	}
	runtime.ReadMemStats(&after)
	close(release)
	wg.Wait()
	perG := float64(after.StackInuse-before.StackInuse) / parked / 1024
	fmt.Fprintf(w, "goroutines: %d parked at once, %.1f KiB of stack each\n", parked, perG)

	// Start and finish, one at a time.
	const gs = 10_000
	t0 := time.Now()
	for range gs {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
	fmt.Fprintf(w, "goroutines: %d started and finished, %s each\n", gs, per(time.Since(t0), gs))

	// A goroutine that ends while locked to its OS thread ends the
	// thread too, so each of these runs on a thread made for it: the
	// kernel's thread ids show it.
	const ts = 200
	tids := map[int]bool{}
	t0 = time.Now()
	for range ts {
		tid := make(chan int)
		go func() {
			runtime.LockOSThread()
			tid <- unix.Gettid()
		}()
		tids[<-tid] = true
	}
	fmt.Fprintf(w, "OS threads: %d goroutines ended on their locked thread, on %d different threads, %s each\n",
		ts, len(tids), per(time.Since(t0), ts))

	// Processes: fork and exec a program that does nothing.
	trueBin, err := exec.LookPath("true")
	if err != nil {
		return err
	}
	const ps = 20
	t0 = time.Now()
	for range ps {
		if err := exec.Command(trueBin).Run(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "processes: %d runs of %s, %s each\n", ps, trueBin, per(time.Since(t0), ps))
	return nil
}

// per formats d/n in µs.
func per(d time.Duration, n int) string {
	return fmt.Sprintf("%.2f µs", float64(d.Nanoseconds())/float64(n)/1e3)
}
