//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/netpoll"
)

// UDP round trip on the fiber face: one socket echoes, another sends
// datagrams and reads them back whole, with the sender's address; a read
// deadline ends a ReadFrom that gets nothing.
func TestPacket_FiberRoundTrip(t *testing.T) {
	for _, network := range []string{"udp", "udp6", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			fdtest.Check(t)
			dir := t.TempDir()
			addr := func(name string) string {
				switch network {
				case "udp6":
					return "[::1]:0"
				case "unixgram":
					return filepath.Join(dir, name)
				}
				return "127.0.0.1:0"
			}
			run(t, func(ctx context.Context) error {
				srv, err := netpoll.ListenPacket(ctx, network, addr("srv"))
				if err != nil {
					return err
				}
				defer srv.Close()
				cli, err := netpoll.ListenPacket(ctx, network, addr("cli"))
				if err != nil {
					return err
				}
				defer cli.Close()
				echo := spawn(ctx, func(ctx context.Context) error {
					buf := make([]byte, 64<<10)
					for {
						n, from, err := srv.ReadFrom(buf)
						if errors.Is(err, net.ErrClosed) {
							return nil
						}
						if err != nil {
							return err
						}
						if _, err := srv.WriteTo(buf[:n], from); err != nil {
							return err
						}
					}
				})
				buf := make([]byte, 64<<10)
				for i, size := range []int{1, 100, 1400, 8000} {
					msg := make([]byte, size)
					for j := range msg {
						msg[j] = byte(i + j)
					}
					if _, err := cli.WriteTo(msg, srv.LocalAddr()); err != nil {
						return err
					}
					n, from, err := cli.ReadFrom(buf)
					if err != nil {
						return err
					}
					if string(buf[:n]) != string(msg) {
						t.Errorf("datagram %d came back as %d bytes, sent %d", i, n, size)
					}
					if from.String() != srv.LocalAddr().String() {
						t.Errorf("reply from %v, want %v", from, srv.LocalAddr())
					}
				}
				cli.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
				if _, _, err := cli.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("ReadFrom past its deadline: %v", err)
				}
				srv.Close()
				if err := echo(); err != nil {
					return err
				}
				if _, err := srv.WriteTo([]byte("x"), cli.LocalAddr()); !errors.Is(err, net.ErrClosed) {
					t.Errorf("WriteTo after Close: %v", err)
				}
				return nil
			})
		})
	}
}

// UDP on the callback face, with a Go net client: every datagram reaches
// the handler with its sender, and the handler's reply reaches the
// client. WriteTo from another goroutine works too.
func TestPacket_Serve(t *testing.T) {
	fdtest.Check(t)
	l := looptest.Start(t)
	pc, err := netpoll.ServePacket(l, "udp", "127.0.0.1:0", func(pc *netpoll.PacketConn, data []byte, from net.Addr) {
		reply := append([]byte("echo:"), data...)
		if _, err := pc.WriteTo(reply, from); err != nil {
			t.Errorf("WriteTo in the handler: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for i := range 20 {
		msg := fmt.Sprintf("m%d", i)
		c.Write([]byte(msg))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != "echo:"+msg {
			t.Errorf("reply %q to %q", got, msg)
		}
	}
	// From a goroutine outside the loop.
	if _, err := pc.WriteTo([]byte("hello"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Errorf("datagram from another goroutine: %q, %v", buf[:n], err)
	}
	if _, _, err := pc.ReadFrom(buf); !errors.Is(err, netpoll.ErrNotFiber) {
		t.Errorf("ReadFrom on the callback face: %v", err)
	}
}

// Concurrent dials of one host name cost one look-up (singleflight), run
// off the loop; the names resolve and connect.
func TestDial_LookupsMerged(t *testing.T) {
	fdtest.Check(t)
	var calls atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	restore := netpoll.SetLookup(func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		calls.Add(1)
		<-release // held until every dial is waiting on it
		if host != "weft.test" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	})
	defer restore()
	const dials = 10
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		var waits []func() error
		for range dials {
			waits = append(waits, spawn(ctx, func(ctx context.Context) error {
				c, err := netpoll.Dial(ctx, "tcp", fmt.Sprintf("weft.test:%d", port))
				if err != nil {
					return err
				}
				return c.Close()
			}))
		}
		// Let every dial reach the look-up, then answer them all.
		for calls.Load() == 0 {
			fiber.Sleep(ctx, time.Millisecond)
		}
		fiber.Sleep(ctx, 20*time.Millisecond)
		once.Do(func() { close(release) })
		for _, w := range waits {
			if err := w(); err != nil {
				return err
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%d dials made %d look-ups, want 1", dials, n)
		}
		var dnsErr *net.DNSError
		if _, err := netpoll.Dial(ctx, "tcp", fmt.Sprintf("nowhere.test:%d", port)); !errors.As(err, &dnsErr) {
			t.Errorf("Dial of an unknown host: %v, want a *net.DNSError", err)
		}
		return nil
	})
}
