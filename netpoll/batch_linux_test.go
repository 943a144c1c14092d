//go:build linux

package netpoll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/netpoll"
)

// Tests of WithIOUring's batching of callback-face reads and writes. The
// other callback-face tests run batched too where io_uring is available
// (the default), and CI runs them again with WEFT_IO_URING=0.

// batchedServe serves h with WithIOUring on, skipping nothing: where the
// kernel has no io_uring the test fails, since this machine's has.
func batchedServe(t *testing.T, h netpoll.Handler, opts ...netpoll.Option) *netpoll.Server {
	t.Helper()
	if err := uring.Available(); err != nil {
		t.Fatalf("io_uring: %v (these tests need it)", err)
	}
	return evServe(t, evGroup(t, 1), h, append(opts, netpoll.WithIOUring(true))...)
}

// batchProbe records, on the loop, whether a connection is batched.
type batchProbe struct {
	netpoll.Handler
	batched atomic.Int32 // 1 batched, 2 not
}

func (p *batchProbe) OnOpen(c *netpoll.EventConn) {
	if netpoll.Batched(c) {
		p.batched.Store(1)
	} else {
		p.batched.Store(2)
	}
	p.Handler.OnOpen(c)
}

// The option chooses the path: on, connections are batched; off, not.
func TestBatch_OptionChoosesPath(t *testing.T) {
	for _, on := range []bool{true, false} {
		p := &batchProbe{Handler: evEcho{}}
		srv := evServe(t, evGroup(t, 1), p, netpoll.WithIOUring(on))
		c := evDial(t, srv.Addr().String())
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 4)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
			t.Fatalf("echo %q, %v", got, err)
		}
		want := int32(2)
		if on && uring.Available() == nil {
			want = 1
		}
		if got := p.batched.Load(); got != want {
			t.Errorf("WithIOUring(%v): batched = %v, want %v (1 yes, 2 no)", on, got, want)
		}
	}
}

// orderWriter answers each message with writes of mixed sizes: small ones
// that are batched, ones past batchMax (4 KiB) that go straight to the
// kernel after what was batched, and small ones again, all in one OnData.
type orderWriter struct{ parts [][]byte }

func (orderWriter) OnOpen(*netpoll.EventConn)         {}
func (orderWriter) OnClose(*netpoll.EventConn, error) {}
func (w orderWriter) OnData(c *netpoll.EventConn, _ []byte) {
	for _, p := range w.parts {
		if _, err := c.Write(p); err != nil {
			panic(err)
		}
	}
}

// Writes keep their order across the batch and the direct path.
func TestBatch_WriteOrder(t *testing.T) {
	parts := [][]byte{
		evRandom(10, 1), evRandom(100, 2), evRandom(40<<10, 3), evRandom(7, 4), evRandom(16<<10, 5), evRandom(3, 6),
	}
	want := bytes.Join(parts, nil)
	srv := batchedServe(t, orderWriter{parts})
	c := evDial(t, srv.Addr().String())
	for round := range 20 {
		if _, err := c.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(want))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: the %d bytes came back out of order", round, len(want))
		}
	}
}

// writeThenClose writes a reply and closes at once, or half-closes.
type writeThenClose struct {
	reply []byte
	half  bool
}

func (writeThenClose) OnOpen(*netpoll.EventConn)         {}
func (writeThenClose) OnClose(*netpoll.EventConn, error) {}
func (w writeThenClose) OnData(c *netpoll.EventConn, _ []byte) {
	c.Write(w.reply)
	c.Write(w.reply)
	if w.half {
		if err := c.CloseWrite(); err != nil {
			panic(err)
		}
		return
	}
	c.Close()
}

// A Close or CloseWrite right after batched Writes sends them first.
func TestBatch_CloseAfterWrite(t *testing.T) {
	for _, half := range []bool{false, true} {
		reply := []byte("goodbye")
		srv := batchedServe(t, writeThenClose{reply: reply, half: half})
		c := evDial(t, srv.Addr().String())
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "goodbyegoodbye" {
			t.Errorf("half-close %v: read %q, %v; want both replies, then EOF", half, got, err)
		}
	}
}

// connSaver hands each connection it opens to the test.
type connSaver struct{ conns chan *netpoll.EventConn }

func (h connSaver) OnOpen(c *netpoll.EventConn)     { h.conns <- c }
func (connSaver) OnData(*netpoll.EventConn, []byte) {}
func (connSaver) OnClose(*netpoll.EventConn, error) {}

// A write from another goroutine that comes while the loop's last write
// waits in the batch goes after it: the loop's write is posted first, so
// the stream must read L0 R0 L1 R1 and so on.
func TestBatch_RemoteWriteAfterBatched(t *testing.T) {
	h := connSaver{make(chan *netpoll.EventConn, 1)}
	srv := batchedServe(t, h)
	c := evDial(t, srv.Addr().String())
	ec := <-h.conns
	const n = 200
	for i := range n {
		if err := ec.Loop().Post(func() { ec.Write([]byte{'L', byte(i)}) }); err != nil {
			t.Fatal(err)
		}
		if _, err := ec.Write([]byte{'R', byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 4*n)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want := []byte{'L', byte(i), 'R', byte(i)}
		if !bytes.Equal(got[4*i:4*i+4], want) {
			t.Fatalf("record %d: %q, want %q", i, got[4*i:4*i+4], want)
		}
	}
}

// Many connections at once: reads come in batches larger than one cycle's
// 32 recvs, and every echo is right.
func TestBatch_ManyConns(t *testing.T) {
	g := evGroup(t, 1)
	srv := evServe(t, g, evEcho{}, netpoll.WithIOUring(true))
	const conns = 300
	cs := make([]net.Conn, conns)
	for i := range cs {
		cs[i] = evDial(t, srv.Addr().String())
	}
	for round := range 5 {
		for i, c := range cs {
			if _, err := c.Write(evRandom(100+i, uint64(round*conns+i))); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cs {
			want := evRandom(100+i, uint64(round*conns+i))
			got := make([]byte, len(want))
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("round %d, connection %d: echo wrong (%v)", round, i, err)
			}
		}
	}
	counts := make(chan [4]uint64, 1)
	g.Loop(0).Post(func() {
		c, r, f, s := netpoll.BatchCounts(g.Loop(0))
		counts <- [4]uint64{c, r, f, s}
	})
	n := <-counts
	t.Logf("batcher: %d cycles, %d recvs, %d sends", n[0], n[1], n[3])
	// Every echo took a recv and a send through the ring, and cycles
	// carried many of them each.
	if n[1] < 5*conns || n[3] < 5*conns || n[0] >= n[1] {
		t.Errorf("%d cycles, %d recvs, %d sends for %d echoes: not batched", n[0], n[1], n[3], 5*conns)
	}
}

// Data and FIN in one edge: a batched read reads on to EOF.
func TestBatch_DataThenFIN(t *testing.T) {
	srv := batchedServe(t, evEcho{})
	c := evDial(t, srv.Addr().String())
	msg := evRandom(50<<10, 7) // more than one 16 KiB recv
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %d bytes back, want the %d sent", len(got), len(msg))
	}
}

// Writes to two connections interleaved in one task: a connection's
// second write finds its bytes behind the other's in the batch, moves
// them to the end and adds to them; each stream stays in order.
func TestBatch_InterleavedConns(t *testing.T) {
	h := connSaver{make(chan *netpoll.EventConn, 2)}
	srv := batchedServe(t, h)
	ca := evDial(t, srv.Addr().String())
	ea := <-h.conns
	cb := evDial(t, srv.Addr().String())
	eb := <-h.conns
	done := make(chan struct{})
	if err := ea.Loop().Post(func() {
		defer close(done)
		for i := range 50 {
			ea.Write([]byte{'a', byte(i)})
			eb.Write([]byte{'b', byte(i)})
		}
	}); err != nil {
		t.Fatal(err)
	}
	<-done
	for _, x := range []struct {
		c   net.Conn
		tag byte
	}{{ca, 'a'}, {cb, 'b'}} {
		got := make([]byte, 100)
		x.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(x.c, got); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if got[2*i] != x.tag || got[2*i+1] != byte(i) {
				t.Fatalf("connection %c: record %d is %q", x.tag, i, got[2*i:2*i+2])
			}
		}
	}
}

// The fiber face: a Conn is batched under the option, and a fiber parked
// in Read gets its data from a batched recv into its own buffer; echo of
// many sizes stays exact.
func TestBatch_FiberEcho(t *testing.T) {
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0", netpoll.WithIOUring(true))
		if err != nil {
			return err
		}
		stop := serveConns(ctx, ln, echoConn)
		defer stop()
		c, err := netpoll.Dial(ctx, "tcp", ln.Addr().String(), netpoll.WithIOUring(true))
		if err != nil {
			return err
		}
		defer c.Close()
		if !netpoll.BatchedConn(c) {
			t.Fatal("a dialled Conn with WithIOUring(true) is not batched")
		}
		for i, size := range []int{1, 64, 1000, 16 << 10, 16<<10 + 1, 100 << 10, 3} {
			msg := evRandom(size, uint64(i))
			if _, err := c.Write(msg); err != nil {
				return err
			}
			got := make([]byte, size)
			if _, err := io.ReadFull(c, got); err != nil {
				return fmt.Errorf("size %d: %w", size, err)
			}
			if !bytes.Equal(got, msg) {
				return fmt.Errorf("size %d: echo differs", size)
			}
		}
		cycles, recvs, fiberRecvs, sends := netpoll.BatchCounts(c.Loop())
		t.Logf("batcher: %d cycles, %d recvs (%d into fibers' buffers), %d sends", cycles, recvs, fiberRecvs, sends)
		if fiberRecvs == 0 || sends == 0 || cycles == 0 {
			t.Errorf("the batcher made %d recvs into fibers' buffers and %d sends in %d cycles; want some of each", fiberRecvs, sends, cycles)
		}
		return nil
	})
}

// batchOn is the option list that turns batching on whatever the
// environment says.
var batchOn = []netpoll.Option{netpoll.WithIOUring(true)}

// Two fibers reading one Conn at once: each byte reaches exactly one of
// them, whichever way the batcher and the plain reads share the work.
func TestBatch_FiberTwoReaders(t *testing.T) {
	run(t, func(ctx context.Context) error {
		_, c, s, closeAll, err := tcpPairWith(ctx, batchOn, batchOn)
		if err != nil {
			return err
		}
		defer closeAll()
		const total = 20000
		counts := make([]int, 256)
		reader := func(ctx context.Context) error {
			buf := make([]byte, 7)
			for {
				n, err := c.Read(buf)
				for _, b := range buf[:n] {
					counts[b]++
				}
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
			}
		}
		r1, r2 := spawn(ctx, reader), spawn(ctx, reader)
		for i := range total {
			if _, err := s.Write([]byte{byte(i % 251)}); err != nil {
				return err
			}
			if i%100 == 0 {
				fiber.Yield(ctx)
			}
		}
		if err := s.CloseWrite(); err != nil {
			return err
		}
		if err := r1(); err != nil {
			return err
		}
		if err := r2(); err != nil {
			return err
		}
		for b := range 251 {
			want := total / 251
			if b < total%251 {
				want++
			}
			if counts[b] != want {
				return fmt.Errorf("byte %d read %d times, want %d", b, counts[b], want)
			}
		}
		return nil
	})
}

// A Read parked on a batched recv still ends at its deadline, and a later
// Read gets the data that comes after.
func TestBatch_FiberDeadlineThenData(t *testing.T) {
	run(t, func(ctx context.Context) error {
		_, c, s, closeAll, err := tcpPairWith(ctx, batchOn, batchOn)
		if err != nil {
			return err
		}
		defer closeAll()
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		buf := make([]byte, 16)
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("Read past its deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		if _, err := s.Write([]byte("late")); err != nil {
			return err
		}
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "late" {
			return fmt.Errorf("Read after the deadline moved: %q, %v", buf[:n], err)
		}
		return nil
	})
}

// twiceEcho answers each message twice (each Write may meet the queue's
// high watermark: evEcho keeps what it refuses until OnDrain).
type twiceEcho struct{ evEcho }

func (twiceEcho) OnData(c *netpoll.EventConn, data []byte) {
	evEcho{}.OnData(c, data)
	evEcho{}.OnData(c, data)
}

// With a high watermark below what one callback writes, batched bytes do
// not pause reading or refuse a write for good: the writes that pass the
// mark go to the queue, whose draining resumes the connection (OnDrain).
// Found in review: bytes counted in the batch paused reading, and nothing
// resumed it once the batch sent them.
func TestBatch_SmallHighWater(t *testing.T) {
	for _, on := range []bool{true, false} {
		for _, h := range []netpoll.Handler{evEcho{}, twiceEcho{}} {
			srv := evServe(t, evGroup(t, 1), h, netpoll.WithIOUring(on), netpoll.WithWatermarks(1024, 256))
			c := evDial(t, srv.Addr().String())
			copies := 1
			if _, ok := h.(twiceEcho); ok {
				copies = 2
			}
			for round := range 3 {
				msg := bytes.Repeat([]byte{byte('a' + round)}, 2000)
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, copies*len(msg))
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if n, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("batched %v, %T, round %d: read %d of %d: %v", on, h, round, n, len(got), err)
				}
				if !bytes.Equal(got, bytes.Repeat(msg, copies)) {
					t.Fatalf("batched %v, %T, round %d: wrong bytes", on, h, round)
				}
			}
		}
	}
}

// closeOther: on data from the second connection it writes to the first
// (whose peer has reset it, so that send fails) and to the second; the
// first's OnClose then closes the second.
type closeOther struct {
	opened chan *netpoll.EventConn
	eof    chan struct{}
	conns  []*netpoll.EventConn
}

func (h *closeOther) OnOpen(c *netpoll.EventConn) {
	h.conns = append(h.conns, c)
	h.opened <- c
}
func (h *closeOther) OnReadEOF(*netpoll.EventConn) { h.eof <- struct{}{} }
func (h *closeOther) OnData(c *netpoll.EventConn, _ []byte) {
	if c != h.conns[1] {
		return
	}
	h.conns[0].Write([]byte("x"))
	c.Write([]byte("hello"))
}
func (h *closeOther) OnClose(c *netpoll.EventConn, _ error) {
	if c == h.conns[0] {
		h.conns[1].Close()
	}
}

// A send that fails in a batch runs its OnClose only once the batch's
// results are all taken: an OnClose that closes another connection, whose
// bytes the same batch just sent, must not send them again. Found in
// review: the peer read "hellohello".
func TestBatch_OnCloseDuringSends(t *testing.T) {
	h := &closeOther{opened: make(chan *netpoll.EventConn, 2), eof: make(chan struct{}, 1)}
	srv := batchedServe(t, h)
	x := evDial(t, srv.Addr().String())
	<-h.opened
	y := evDial(t, srv.Addr().String())
	<-h.opened
	x.CloseWrite()
	<-h.eof
	x.SetLinger(0)
	x.Close()                          // an RST: the server's next send on it fails
	time.Sleep(100 * time.Millisecond) // for the RST to land
	if _, err := y.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	y.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(y)
	if err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v; want %q once, then EOF", got, err, "hello")
	}
}
