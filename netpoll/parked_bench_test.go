//go:build linux

package netpoll

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
)

// parkedConns is how many connections BenchmarkConn_Parked parks.
const parkedConns = 2000

// parkedEcho is the server side of one connection in
// BenchmarkConn_Parked: the echo loop of examples/echo and bench/, with
// its 16 KiB buffer.
func parkedEcho(c io.ReadWriter) {
	buf := make([]byte, 16<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// inUse returns the heap and stack in use after a collection.
func inUse() (heap, stack uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// BenchmarkConn_Parked measures what an idle connection of an echo server
// holds in the server process: per op, 2,000 connections (Unix socket
// pairs) each served by an echo loop parked in Read with a 16 KiB buffer,
// after one echo. impl=weft: a fiber per connection (fiber.Go, with a
// cancellable parent context, as a server's signal context is) reading a
// *Conn; impl=net: a goroutine per connection reading a net.Conn. The
// metrics are the growth of HeapInuse and StackInuse per connection, from
// the last round (docs/benchmarks.md, "netpoll").
func BenchmarkConn_Parked(b *testing.B) {
	b.Run("impl=weft", func(b *testing.B) {
		var heap, stack float64
		for b.Loop() {
			ctx, cancel := context.WithCancel(context.Background())
			var peers []int
			err := fiber.Run(ctx, func(ctx context.Context) error {
				l := fiber.Loop(ctx)
				o := defaultOptions()
				h0, s0 := inUse()
				var conns []*Conn
				for range parkedConns {
					fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
					if err != nil {
						return err
					}
					peers = append(peers, fds[1])
					c, err := newConn(l, fds[0], unix.AF_UNIX, &o)
					if err != nil {
						return err
					}
					conns = append(conns, c)
					fiber.Go(ctx, func(context.Context) (struct{}, error) { parkedEcho(c); return struct{}{}, nil })
				}
				echoAll(b, peers, func() { _ = fiber.Yield(ctx) })
				h1, s1 := inUse()
				heap = (float64(h1) - float64(h0)) / parkedConns
				stack = (float64(s1) - float64(s0)) / parkedConns
				for _, c := range conns {
					c.Close()
				}
				return nil
			})
			cancel()
			closeAll(peers)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(heap, "heap-B/conn")
		b.ReportMetric(stack, "stack-B/conn")
	})
	b.Run("impl=net", func(b *testing.B) {
		var heap, stack float64
		for b.Loop() {
			h0, s0 := inUse()
			var peers []int
			var conns []net.Conn
			done := make(chan struct{}, parkedConns)
			for range parkedConns {
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
				if err != nil {
					b.Fatal(err)
				}
				peers = append(peers, fds[1])
				f := os.NewFile(uintptr(fds[0]), "conn")
				c, err := net.FileConn(f)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c)
				go func() { parkedEcho(c); done <- struct{}{} }()
			}
			echoAll(b, peers, runtime.Gosched)
			h1, s1 := inUse()
			heap = (float64(h1) - float64(h0)) / parkedConns
			stack = (float64(s1) - float64(s0)) / parkedConns
			for _, c := range conns {
				c.Close()
			}
			for range parkedConns {
				<-done
			}
			closeAll(peers)
		}
		b.ReportMetric(heap, "heap-B/conn")
		b.ReportMetric(stack, "stack-B/conn")
	})
}

// echoAll sends 64 bytes on every peer and reads the echo back, calling
// yield while it waits (the fibers' loop runs only when the caller
// yields).
func echoAll(b *testing.B, peers []int, yield func()) {
	msg := make([]byte, 64)
	for _, p := range peers {
		if _, err := unix.Write(p, msg); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 64)
	for _, p := range peers {
		for got := 0; got < len(msg); {
			n, err := unix.Read(p, buf)
			if err == unix.EAGAIN || err == unix.EINTR {
				yield()
				continue
			}
			if err != nil || n == 0 {
				b.Fatalf("echo: %d, %v", n, err)
			}
			got += n
		}
	}
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
