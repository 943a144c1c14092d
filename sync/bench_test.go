package sync_test

import (
	"context"
	gosync "sync"
	"testing"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

// The Mutex benchmarks put weft's Mutex between two fibers beside Go's
// sync.Mutex between two goroutines, in the same shape, as sub-benchmarks
// impl=weft and impl=stdlib (compare with benchstat -col /impl).
//
// The fibers of one loop share one thread: a fiber's Lock that waits
// parks it, the loop resumes the other fiber, and the Unlock there hands
// the mutex back. The goroutines run on as many threads as GOMAXPROCS
// allows, and a sync.Mutex spins a little, then parks the goroutine in
// the runtime.

// BenchmarkMutex_HandOff measures one hand-off of a lock from one worker
// to another that waits for it: ns/op is the time from one worker's
// Unlock to the other's Lock returning, the switch between them included.
// Each worker takes its own lock and unlocks the other's (a lock used as a
// baton: of x and y, one is always held), so on both sides every Lock
// waits for the other worker's Unlock. b.N is the number of Locks.
//
// The plain loop of Lock then Unlock in two workers would not measure
// this on either side: a fiber that unlocks and locks again without
// parking in between never meets the other fiber at all (nothing else
// runs on its loop meanwhile), and a goroutine that does so mostly takes
// the sync.Mutex straight back, which barges rather than hands off.
func BenchmarkMutex_HandOff(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			var x, y wsync.Mutex
			y.Lock(ctx)
			g, ctx := fiber.NewGroup(ctx)
			b.ResetTimer()
			g.Go(func(ctx context.Context) error { return baton(ctx, &x, &y, (b.N+1)/2) })
			g.Go(func(ctx context.Context) error { return baton(ctx, &y, &x, b.N/2) })
			err := g.Wait()
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		b.ReportAllocs()
		var x, y gosync.Mutex
		var wg gosync.WaitGroup
		y.Lock()
		b.ResetTimer()
		wg.Go(func() { batonStd(&x, &y, (b.N+1)/2) })
		wg.Go(func() { batonStd(&y, &x, b.N/2) })
		wg.Wait()
		b.StopTimer()
	})
}

// baton takes own n times; after each it lets the other worker take its
// lock. It waits each time (but the first) for the other to give own back.
func baton(ctx context.Context, own, other *wsync.Mutex, n int) error {
	for range n {
		if err := own.Lock(ctx); err != nil {
			return err
		}
		other.Unlock()
	}
	return nil
}

func batonStd(own, other *gosync.Mutex, n int) {
	for range n {
		own.Lock()
		other.Unlock()
	}
}

// BenchmarkMutex_Uncontended is Lock and Unlock with nobody else around:
// the fast path of both.
func BenchmarkMutex_Uncontended(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			var m wsync.Mutex
			for b.Loop() {
				if err := m.Lock(ctx); err != nil {
					return err
				}
				m.Unlock()
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		b.ReportAllocs()
		var m gosync.Mutex
		for b.Loop() {
			m.Lock()
			m.Unlock()
		}
	})
}

// BenchmarkChan_PingPong sends a value to another worker and waits for
// its reply: ns/op is one round trip (two hand-offs), through unbuffered
// Chans between fibers and unbuffered channels between goroutines.
func BenchmarkChan_PingPong(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			var ping, pong wsync.Chan[int]
			g, ctx := fiber.NewGroup(ctx)
			b.ResetTimer()
			g.Go(func(ctx context.Context) error {
				for {
					v, ok, err := ping.Recv(ctx)
					if err != nil || !ok {
						return err
					}
					if err := pong.Send(ctx, v); err != nil {
						return err
					}
				}
			})
			g.Go(func(ctx context.Context) error {
				defer ping.Close()
				for i := range b.N {
					if err := ping.Send(ctx, i); err != nil {
						return err
					}
					if _, _, err := pong.Recv(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			err := g.Wait()
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		b.ReportAllocs()
		ping, pong := make(chan int), make(chan int)
		var wg gosync.WaitGroup
		b.ResetTimer()
		wg.Go(func() {
			for v := range ping {
				pong <- v
			}
		})
		for i := range b.N {
			ping <- i
			<-pong
		}
		close(ping)
		wg.Wait()
		b.StopTimer()
	})
}

// BenchmarkChan_Buffered is a Send and a Recv that do not wait, through a
// buffer of one, in one worker: the fast path of both.
func BenchmarkChan_Buffered(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		b.ReportAllocs()
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			c := wsync.NewChan[int](1)
			for b.Loop() {
				if err := c.Send(ctx, 1); err != nil {
					return err
				}
				if _, _, err := c.Recv(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		b.ReportAllocs()
		c := make(chan int, 1)
		for b.Loop() {
			c <- 1
			<-c
		}
	})
}
