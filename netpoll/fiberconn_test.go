//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/netpoll"
)

// echoConn echoes c in a fiber of its own until EOF, then closes it: a
// handle for serveConns.
func echoConn(ctx context.Context, c *netpoll.Conn) {
	spawn(ctx, func(ctx context.Context) error {
		defer c.Close()
		return echo(c, 16<<10)
	})
}

// Echo through both ends on fibers: a Dialled Conn writes messages from 1
// byte to 4 MiB (past the write queue's high mark, so Write parks) while
// another fiber reads them back; every byte returns in order.
func TestFiber_Echo(t *testing.T) {
	for _, network := range []string{"tcp", "tcp6", "unix"} {
		t.Run(network, func(t *testing.T) {
			fdtest.Check(t)
			addr := "127.0.0.1:0"
			switch network {
			case "tcp6":
				addr = "[::1]:0"
			case "unix":
				addr = filepath.Join(t.TempDir(), "echo.sock")
			}
			run(t, func(ctx context.Context) error {
				ln, err := netpoll.Listen(ctx, network, addr, netpoll.WithWatermarks(256<<10, 64<<10))
				if err != nil {
					return err
				}
				stop := serveConns(ctx, ln, echoConn)
				c, err := netpoll.Dial(ctx, network, ln.Addr().String())
				if err != nil {
					return err
				}
				if got, want := c.RemoteAddr().String(), ln.Addr().String(); got != want {
					t.Errorf("RemoteAddr %s, want %s", got, want)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				var sent bytes.Buffer
				for _, size := range []int{1, 100, 64 << 10, 1 << 20, 4 << 20} {
					b := make([]byte, size)
					for i := range b {
						b[i] = byte(rng.Uint32())
					}
					sent.Write(b)
				}
				want := sent.Bytes()
				done := spawn(ctx, func(ctx context.Context) error {
					if _, err := c.Write(want); err != nil {
						return err
					}
					return c.CloseWrite()
				})
				got, err := io.ReadAll(c)
				if err != nil {
					return err
				}
				if err := done(); err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					return fmt.Errorf("echoed %d bytes, sent %d (equal prefix %d)", len(got), len(want), commonPrefix(got, want))
				}
				c.Close()
				_, err = stop()
				return err
			})
		})
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// A fiber server serves clients of Go's net package on other goroutines.
func TestFiber_ServesNetClients(t *testing.T) {
	fdtest.Check(t)
	const clients = 20
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		stop := serveConns(ctx, ln, echoConn)
		err = goClients(ctx, t, clients, func(i int) error {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return err
			}
			defer c.Close()
			msg := bytes.Repeat([]byte{byte(i)}, 1000+i)
			for range 10 {
				if err := echoOnce(c, msg); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		_, err = stop()
		return err
	})
}

var errConnRefused = syscall.ECONNREFUSED

// tcpPair listens on loopback from a fiber, dials the listener and
// accepts: both ends of one TCP connection, on the calling fiber's loop,
// and a func that closes both and the listener. opts are the dial's.
func tcpPair(ctx context.Context, opts ...netpoll.Option) (ln *netpoll.Listener, c, s *netpoll.Conn, closeAll func(), err error) {
	return tcpPairWith(ctx, nil, opts)
}

// tcpPairWith is tcpPair with options for the listener too.
func tcpPairWith(ctx context.Context, listen, dial []netpoll.Option) (ln *netpoll.Listener, c, s *netpoll.Conn, closeAll func(), err error) {
	if ln, err = netpoll.Listen(ctx, "tcp", "127.0.0.1:0", listen...); err != nil {
		return nil, nil, nil, nil, err
	}
	if c, err = netpoll.Dial(ctx, "tcp", ln.Addr().String(), dial...); err != nil {
		ln.Close()
		return nil, nil, nil, nil, err
	}
	if s, err = ln.AcceptConn(); err != nil {
		c.Close()
		ln.Close()
		return nil, nil, nil, nil, err
	}
	return ln, c, s, func() { c.Close(); s.Close(); ln.Close() }, nil
}

// Deadlines: a Read parked past its deadline returns a timeout error; a
// moved deadline lets the next Read succeed; a deadline in the past fails
// at once; the write deadline ends a Write parked on a peer that does not
// read.
func TestFiber_Deadlines(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		_, c, s, closeAll, err := tcpPair(ctx, netpoll.WithWatermarks(64<<10, 16<<10), netpoll.WithBuffers(0, 16<<10))
		if err != nil {
			return err
		}
		defer closeAll()

		start := time.Now()
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		buf := make([]byte, 10)
		_, err = c.Read(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Read past its deadline: %v, want a timeout", err)
		}
		if el := time.Since(start); el < 40*time.Millisecond {
			t.Errorf("Read returned after %v, before its 50ms deadline", el)
		}
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("second Read with the deadline passed: %v, want a timeout", err)
		}
		c.SetReadDeadline(time.Time{})
		if _, err := s.Write([]byte("hello")); err != nil {
			return err
		}
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "hello" {
			t.Errorf("Read after the deadline was cleared = %q, %v", buf[:n], err)
		}
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read with a deadline in the past: %v", err)
		}

		// s never reads: c's writes fill the kernel buffers and the queue.
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		big := make([]byte, 64<<20)
		n, err := c.Write(big)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Write to a peer that does not read: %d, %v; want a timeout", n, err)
		}
		if n == 0 || n >= len(big) {
			t.Errorf("Write accepted %d of %d bytes before its deadline", n, len(big))
		}
		if q := netpoll.QueuedBytes(c); q > 64<<10 {
			t.Errorf("write queue holds %d bytes, past its 64 KiB high mark", q)
		}
		return nil
	})
}

// TestFiber_DeadlineMoves: deadlines are moved lazily (an armed timer
// finds the deadline moved when it fires), which must not change what a
// reader sees: a deadline moved later fires at the later time, not the
// first; one cleared while its timer is armed never fires; one moved
// earlier fires at the earlier time; and a thousand moves, as a server
// makes around its reads, leave the loop one timer per direction, not
// one per move.
func TestFiber_DeadlineMoves(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		_, c, s, closeAll, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		buf := make([]byte, 10)
		read := func() (time.Duration, error) {
			start := time.Now()
			_, err := c.Read(buf)
			return time.Since(start), err
		}

		// Later: armed for 30 ms, moved to 120 ms from a fiber 10 ms in.
		start := time.Now()
		c.SetReadDeadline(start.Add(30 * time.Millisecond))
		spawn(ctx, func(ctx context.Context) error {
			fiber.Sleep(ctx, 10*time.Millisecond)
			c.SetReadDeadline(start.Add(120 * time.Millisecond))
			return nil
		})
		if _, err := read(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read past a deadline moved later: %v, want a timeout", err)
		}
		if el := time.Since(start); el < 110*time.Millisecond {
			t.Errorf("a deadline moved to 120ms fired after %v", el)
		}

		// Cleared: armed for 20 ms, cleared; data comes at 80 ms.
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		c.SetReadDeadline(time.Time{})
		spawn(ctx, func(ctx context.Context) error {
			fiber.Sleep(ctx, 80*time.Millisecond)
			_, err := s.Write([]byte("late"))
			return err
		})
		if el, err := read(); err != nil || string(buf[:4]) != "late" {
			t.Errorf("Read after the deadline was cleared: %q, %v after %v; want the late data", buf[:4], err, el)
		}

		// Earlier: armed for an hour, moved to 30 ms.
		c.SetReadDeadline(time.Now().Add(time.Hour))
		c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		if el, err := read(); !errors.Is(err, os.ErrDeadlineExceeded) || el > 10*time.Second {
			t.Errorf("Read past a deadline moved earlier: %v after %v", err, el)
		}

		// A thousand moves later, and clears, between reads.
		// (Stats are published at the end of each turn: sleep for one.)
		fiber.Sleep(ctx, time.Millisecond)
		before := c.Loop().Stats().TimersPending
		c.SetReadDeadline(time.Now().Add(time.Minute))
		c.SetWriteDeadline(time.Now().Add(time.Minute))
		rd0, wd0 := netpoll.DeadlineTimers(c)
		for i := range 1000 {
			c.SetReadDeadline(time.Now().Add(time.Minute + time.Duration(i)*time.Millisecond))
			c.SetWriteDeadline(time.Now().Add(time.Minute))
			if i%2 == 1 {
				c.SetReadDeadline(time.Time{})
			}
		}
		fiber.Sleep(ctx, time.Millisecond)
		if after := c.Loop().Stats().TimersPending; after > before+2 {
			t.Errorf("1,000 deadline moves left %d timers pending, from %d", after, before)
		}
		// Moved later or cleared, a deadline leaves its armed timer as it
		// was: the timer, when it fires, finds the new time.
		if rd, wd := netpoll.DeadlineTimers(c); rd != rd0 || wd != wd0 || rd == 0 || wd == 0 {
			t.Errorf("after 1,000 moves later the timers are due at %d and %d, armed at %d and %d: re-armed on every move", rd, wd, rd0, wd0)
		}
		c.SetDeadline(time.Time{})
		return nil
	})
}

// Close wakes a fiber parked in Read with net.ErrClosed; Read and Write
// after Close fail with it; a second Close reports it; none panics.
func TestFiber_CloseWhileReading(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		ln, c, s, closeAll, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		reading := spawn(ctx, func(ctx context.Context) error {
			_, err := c.Read(make([]byte, 10))
			return err
		})
		fiber.Yield(ctx) // the reader parks
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := reading(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read parked during Close: %v, want net.ErrClosed", err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: %v", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
		// The peer sees an orderly close.
		if _, err := s.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("peer's Read after Close: %v, want EOF", err)
		}
		// A parked Accept wakes on the listener's Close.
		accepting := spawn(ctx, func(ctx context.Context) error { _, err := ln.Accept(); return err })
		fiber.Yield(ctx)
		ln.Close()
		if err := accepting(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept parked during Close: %v", err)
		}
		return nil
	})
}

// Half-close: the client's CloseWrite reaches the server as EOF; the
// server then answers and closes; the client reads the answer and EOF.
func TestFiber_HalfClose(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		server := spawn(ctx, func(ctx context.Context) error {
			s, err := ln.AcceptConn()
			if err != nil {
				return err
			}
			defer s.Close()
			req, err := io.ReadAll(s) // until the client's FIN
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s, "got %d bytes", len(req))
			return err
		})
		c, err := netpoll.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.Write([]byte("request"))
		if err := c.CloseWrite(); err != nil {
			return err
		}
		if _, err := c.Write([]byte("more")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after CloseWrite: %v", err)
		}
		resp, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		if string(resp) != "got 7 bytes" {
			t.Errorf("response %q", resp)
		}
		return server()
	})
}

// Read and Accept from a goroutine that is not a fiber of the loop fail
// with ErrNotFiber; Write and Close from one work, in order.
func TestFiber_OtherGoroutines(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		ln, c, s, closeAll, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		errs := make(chan error, 3)
		go func() {
			_, err := c.Read(make([]byte, 1))
			errs <- err
			_, err = ln.Accept()
			errs <- err
			for i := range 100 {
				if _, err := fmt.Fprintf(c, "%03d", i); err != nil {
					errs <- err
					return
				}
			}
			errs <- c.Close()
		}()
		got, err := io.ReadAll(s)
		if err != nil {
			return err
		}
		var want bytes.Buffer
		for i := range 100 {
			fmt.Fprintf(&want, "%03d", i)
		}
		if got := string(got); got != want.String() {
			t.Errorf("writes from a goroutine arrived as %q", got)
		}
		for i, wantErr := range []error{netpoll.ErrNotFiber, netpoll.ErrNotFiber, nil} {
			if err := <-errs; !errors.Is(err, wantErr) && !(wantErr == nil && err == nil) {
				t.Errorf("call %d from a goroutine: %v, want %v", i, err, wantErr)
			}
		}
		return nil
	})
}

// Dial to a port nobody listens on fails with ECONNREFUSED; a dial
// timeout ends a connect that gets no answer.
func TestFiber_DialErrors(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, err := netpoll.Dial(ctx, "tcp", addr); !errors.Is(err, errConnRefused) {
			t.Errorf("Dial to a closed port: %v, want ECONNREFUSED", err)
		}
		if _, err := netpoll.Dial(ctx, "tcp", "127.0.0.1:99999"); err == nil {
			t.Error("Dial to port 99999 succeeded")
		}
		if _, err := netpoll.Dial(ctx, "sctp", addr); err == nil {
			t.Error("Dial on network sctp succeeded")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := netpoll.Dial(cctx, "tcp", addr); !errors.Is(err, context.Canceled) {
			t.Errorf("Dial with a cancelled context: %v", err)
		}
		return nil
	})
}

// Two fibers parked in Read on one Conn both wake at its read deadline.
func TestFiber_TwoReadersDeadline(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		_, c, _, closeAll, err := tcpPair(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		r1 := spawn(ctx, func(ctx context.Context) error { _, err := c.Read(make([]byte, 1)); return err })
		r2 := spawn(ctx, func(ctx context.Context) error { _, err := c.Read(make([]byte, 1)); return err })
		for i, r := range []func() error{r1, r2} {
			if err := r(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("reader %d: %v, want a deadline error", i, err)
			}
		}
		return nil
	})
}
