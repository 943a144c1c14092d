//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// Tests of the callback face: Serve, EventConn, Handler and its optional
// Drainer and HalfCloser, against clients of Go's net package.

// evGroup makes a group of n loops, closed when the test ends (after the
// servers, whose cleanups are registered later and so run first).
func evGroup(t *testing.T, n int) *loop.Group {
	t.Helper()
	g, err := loop.NewGroup(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the loop group: %v", err)
		}
	})
	return g
}

// evServe starts a server closed when the test ends.
func evServe(t *testing.T, g *loop.Group, h netpoll.Handler, opts ...netpoll.Option) *netpoll.Server {
	t.Helper()
	srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// evDial dials addr with Go's net package; the connection is closed when
// the test ends.
func evDial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// evWait polls cond until it holds, failing t after 10 s.
func evWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func evSum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// evLoopIndex returns the index of l in g, or -1.
func evLoopIndex(g *loop.Group, l *loop.Loop) int {
	for i := 0; i < g.Len(); i++ {
		if g.Loop(i) == l {
			return i
		}
	}
	return -1
}

// evRandom returns n bytes from a seeded generator.
func evRandom(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// evEcho writes back what it reads. What the write queue does not take
// (ErrQueueFull) waits in the connection's Value until OnDrain; reading is
// paused meanwhile, so the order is kept.
type evEcho struct{}

type evPending struct{ buf []byte }

var (
	_ netpoll.Handler = evEcho{}
	_ netpoll.Drainer = evEcho{}
)

func (evEcho) OnOpen(*netpoll.EventConn) {}

func (evEcho) OnData(c *netpoll.EventConn, data []byte) {
	p, _ := c.Value().(*evPending)
	if p != nil && len(p.buf) > 0 {
		p.buf = append(p.buf, data...) // reading should be paused; keep the order anyway
		return
	}
	n, err := c.Write(data)
	if errors.Is(err, netpoll.ErrQueueFull) {
		if p == nil {
			p = &evPending{}
			c.SetValue(p)
		}
		p.buf = append(p.buf, data[n:]...)
	}
}

func (evEcho) OnDrain(c *netpoll.EventConn) {
	p, _ := c.Value().(*evPending)
	if p == nil || len(p.buf) == 0 {
		return
	}
	n, err := c.Write(p.buf)
	if errors.Is(err, netpoll.ErrQueueFull) {
		p.buf = p.buf[:copy(p.buf, p.buf[n:])]
		return
	}
	p.buf = p.buf[:0]
}

func (evEcho) OnClose(c *netpoll.EventConn, _ error) { c.SetValue(nil) }

// Echo to a client of Go's net package, messages from 1 byte to 8 MiB
// (far past the default 1 MiB high watermark: ErrQueueFull and OnDrain):
// every byte comes back, in order; the client's FIN closes the connection.
func TestEvent_Echo(t *testing.T) {
	fdtest.Check(t)
	g := evGroup(t, 2)
	srv := evServe(t, g, evEcho{})
	for i, size := range []int{1, 100, 4 << 10, 64<<10 + 1, 1 << 20, 8 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c := evDial(t, srv.Addr().String())
			msg := evRandom(size, uint64(i))
			werr := make(chan error, 1)
			go func() { _, err := c.Write(msg); werr <- err }()
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			got := make([]byte, size)
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatalf("reading the echo: %v", err)
			}
			if err := <-werr; err != nil {
				t.Fatalf("writing: %v", err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("echo of %d bytes differs from byte %d", size, commonPrefix(got, msg))
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("read after the echo and CloseWrite: %d, %v; want EOF", n, err)
			}
		})
	}
	evWait(t, "the connections to close", func() bool { return evSum(srv.Conns()) == 0 })
	if got := srv.Accepted(); got != 6 {
		t.Errorf("Accepted() = %d, want 6", got)
	}
}

// evEvent is one callback as evRecorder saw it.
type evEvent struct {
	kind   string // open, data, eof, drain, close
	c      *netpoll.EventConn
	data   string
	err    error
	loop   *loop.Loop
	local  net.Addr
	remote net.Addr
}

// evRecorder records every callback on a channel, and runs onData (if set)
// inside OnData.
type evRecorder struct {
	events chan evEvent
	onData func(c *netpoll.EventConn, data []byte)
}

func newRecorder() *evRecorder { return &evRecorder{events: make(chan evEvent, 4096)} }

func (r *evRecorder) OnOpen(c *netpoll.EventConn) {
	r.events <- evEvent{kind: "open", c: c, loop: c.Loop(), local: c.LocalAddr(), remote: c.RemoteAddr()}
}

func (r *evRecorder) OnData(c *netpoll.EventConn, data []byte) {
	r.events <- evEvent{kind: "data", c: c, data: string(data), loop: c.Loop()}
	if r.onData != nil {
		r.onData(c, data)
	}
}

func (r *evRecorder) OnClose(c *netpoll.EventConn, err error) {
	r.events <- evEvent{kind: "close", c: c, err: err, loop: c.Loop()}
}

// next returns the next event, failing t after 10 s.
func (r *evRecorder) next(t *testing.T) evEvent {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10s")
		return evEvent{}
	}
}

// conversation reads one connection's callbacks up to OnClose: it checks
// OnOpen comes first, with the client's addresses, and every callback
// has the same connection and loop; it returns the data and OnClose's
// error.
func (r *evRecorder) conversation(t *testing.T, client net.Conn) (*netpoll.EventConn, string, error) {
	t.Helper()
	open := r.next(t)
	if open.kind != "open" {
		t.Fatalf("first callback %s, want open", open.kind)
	}
	if client != nil {
		if open.local.String() != client.RemoteAddr().String() || open.remote.String() != client.LocalAddr().String() {
			t.Errorf("OnOpen: local %v remote %v; the client is %v -> %v", open.local, open.remote, client.LocalAddr(), client.RemoteAddr())
		}
	}
	var data strings.Builder
	for {
		e := r.next(t)
		if e.c != open.c || e.loop != open.loop {
			t.Fatalf("%s callback for connection %p on loop %p, want %p on %p", e.kind, e.c, e.loop, open.c, open.loop)
		}
		switch e.kind {
		case "data":
			data.WriteString(e.data)
		case "close":
			select {
			case e2 := <-r.events:
				t.Errorf("callback %s after OnClose", e2.kind)
			case <-time.After(20 * time.Millisecond):
			}
			return open.c, data.String(), e.err
		default:
			t.Fatalf("unexpected callback %s", e.kind)
		}
	}
}

// OnOpen, then OnData with the bytes sent, then exactly one OnClose, whose
// error tells who closed: nil after the handler's Close, io.EOF after the
// client's, net.ErrClosed after the Server's.
func TestEvent_CallbackOrder(t *testing.T) {
	fdtest.Check(t)
	t.Run("HandlerClose", func(t *testing.T) {
		g := evGroup(t, 2)
		rec := newRecorder()
		type afterClose struct{ writeErr, closeErr error }
		after := make(chan afterClose, 1)
		rec.onData = func(c *netpoll.EventConn, data []byte) {
			if !strings.HasSuffix(string(data), "bye") {
				return
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close in OnData: %v", err)
			}
			// Use after close, on the loop: errors, no panic.
			_, werr := c.Write([]byte("late"))
			after <- afterClose{werr, c.Close()}
		}
		srv := evServe(t, g, rec)
		c := evDial(t, srv.Addr().String())
		if _, err := c.Write([]byte("hello, bye")); err != nil {
			t.Fatal(err)
		}
		_, data, err := rec.conversation(t, c)
		if data != "hello, bye" || err != nil {
			t.Errorf("data %q, OnClose error %v; want %q, nil", data, err, "hello, bye")
		}
		a := <-after
		if !errors.Is(a.writeErr, net.ErrClosed) {
			t.Errorf("Write after Close on the loop: %v, want net.ErrClosed", a.writeErr)
		}
		if !errors.Is(a.closeErr, net.ErrClosed) {
			t.Errorf("second Close on the loop: %v, want net.ErrClosed", a.closeErr)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Errorf("client read %q, %v after the handler's Close; want EOF", b, err)
		}
		evWait(t, "Conns() to drop to 0", func() bool { return evSum(srv.Conns()) == 0 })
	})
	t.Run("ClientClose", func(t *testing.T) {
		g := evGroup(t, 2)
		rec := newRecorder()
		srv := evServe(t, g, rec)
		c := evDial(t, srv.Addr().String())
		if _, err := c.Write([]byte("hi there")); err != nil {
			t.Fatal(err)
		}
		c.Close()
		_, data, err := rec.conversation(t, nil)
		if data != "hi there" || err != io.EOF {
			t.Errorf("data %q, OnClose error %v; want %q, io.EOF", data, err, "hi there")
		}
		evWait(t, "Conns() to drop to 0", func() bool { return evSum(srv.Conns()) == 0 })
	})
	t.Run("ServerClose", func(t *testing.T) {
		g := evGroup(t, 2)
		rec := newRecorder()
		srv := evServe(t, g, rec)
		c := evDial(t, srv.Addr().String())
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if e := rec.next(t); e.kind != "open" {
			t.Fatalf("first callback %s", e.kind)
		}
		if e := rec.next(t); e.kind != "data" || e.data != "x" {
			t.Fatalf("second callback %s %q", e.kind, e.data)
		}
		if err := srv.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// Close waits for every loop: OnClose has run.
		select {
		case e := <-rec.events:
			if e.kind != "close" || !errors.Is(e.err, net.ErrClosed) {
				t.Errorf("after Server.Close: %s callback, error %v; want close with net.ErrClosed", e.kind, e.err)
			}
		default:
			t.Error("no OnClose by the time Server.Close returned")
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read after Server.Close: %v, want EOF or a reset", err)
		}
	})
}

// Handlers with nil functions does nothing for them; the ones set run.
func TestEvent_HandlersNilFuncs(t *testing.T) {
	fdtest.Check(t)
	g := evGroup(t, 2)
	quiet := evServe(t, g, netpoll.Handlers{})
	c := evDial(t, quiet.Addr().String())
	if _, err := c.Write([]byte("into the void")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	evWait(t, "the silent server to accept and close", func() bool {
		return quiet.Accepted() == 1 && evSum(quiet.Conns()) == 0
	})

	var closes atomic.Int32
	echo := evServe(t, g, netpoll.Handlers{
		Data: func(c *netpoll.EventConn, data []byte) { c.Write(data) },
	})
	closer := evServe(t, g, netpoll.Handlers{
		Open:  func(c *netpoll.EventConn) { c.Write([]byte("welcome\n")); c.Close() },
		Close: func(c *netpoll.EventConn, err error) { closes.Add(1) },
	})
	c = evDial(t, echo.Addr().String())
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Errorf("echo through Handlers{Data}: %q, %v", got, err)
	}
	c = evDial(t, closer.Addr().String())
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(c); err != nil || string(b) != "welcome\n" {
		t.Errorf("Handlers{Open, Close}: client read %q, %v", b, err)
	}
	evWait(t, "OnClose", func() bool { return closes.Load() == 1 })
}

// evHalf answers when the client has finished: OnReadEOF writes how many
// bytes came (and reply more bytes after that) and closes.
type evHalf struct {
	rec   *evRecorder
	reply int
}

func (h *evHalf) OnOpen(c *netpoll.EventConn) { c.SetValue(new(int)); h.rec.OnOpen(c) }
func (h *evHalf) OnData(c *netpoll.EventConn, data []byte) {
	*c.Value().(*int) += len(data)
	h.rec.events <- evEvent{kind: "data", c: c, loop: c.Loop(), data: strconv.Itoa(len(data))}
}
func (h *evHalf) OnClose(c *netpoll.EventConn, err error) { h.rec.OnClose(c, err) }

func (h *evHalf) OnReadEOF(c *netpoll.EventConn) {
	h.rec.events <- evEvent{kind: "eof", c: c, loop: c.Loop()}
	if _, err := fmt.Fprintf(c, "got %d bytes\n", *c.Value().(*int)); err != nil {
		h.rec.events <- evEvent{kind: "error", c: c, err: err}
	}
	if h.reply > 0 {
		if _, err := c.Write(evRandom(h.reply, 7)); err != nil {
			h.rec.events <- evEvent{kind: "error", c: c, err: err}
		}
	}
	if err := c.Close(); err != nil {
		h.rec.events <- evEvent{kind: "error", c: c, err: err}
	}
}

// A HalfCloser gets OnReadEOF, not OnClose, when the client shuts its
// writing side; it still writes (here past the high watermark, so Close
// has a queue to send) and closes; the client reads the whole reply, then
// EOF.
func TestEvent_HalfCloser(t *testing.T) {
	fdtest.Check(t)
	for _, reply := range []int{0, 3 << 20} {
		t.Run(strconv.Itoa(reply), func(t *testing.T) {
			g := evGroup(t, 1)
			h := &evHalf{rec: newRecorder(), reply: reply}
			srv := evServe(t, g, h)
			c := evDial(t, srv.Addr().String())
			req := evRandom(100_000, 3)
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("client read: %v", err)
			}
			want := append([]byte("got 100000 bytes\n"), evRandom(reply, 7)...)
			if reply == 0 {
				want = []byte("got 100000 bytes\n")
			}
			if !bytes.Equal(resp, want) {
				t.Fatalf("reply of %d bytes, want %d (equal prefix %d)", len(resp), len(want), commonPrefix(resp, want))
			}
			var kinds []string
			n := 0
			for {
				e := h.rec.next(t)
				kinds = append(kinds, e.kind)
				if e.kind == "data" {
					m, _ := strconv.Atoi(e.data)
					n += m
					continue
				}
				if e.kind == "close" {
					if e.err != nil {
						t.Errorf("OnClose error %v after the handler's Close, want nil", e.err)
					}
					break
				}
				if e.kind == "error" {
					t.Errorf("in OnReadEOF: %v", e.err)
				}
			}
			if n != len(req) {
				t.Errorf("OnData got %d bytes, want %d", n, len(req))
			}
			if kinds[0] != "open" || kinds[len(kinds)-2] != "eof" || strings.Count(strings.Join(kinds, " "), "eof") != 1 {
				t.Errorf("callbacks %v: want open, data..., eof, close", kinds)
			}
		})
	}
}

// evFlood writes total bytes of a pattern to each connection from OnOpen,
// as fast as Write takes them, then closes; it checks the write queue's
// bounds as it goes.
type evFlood struct {
	total, chunk, high, low int
	pat                     []byte
	reading                 atomic.Bool // the client has started reading
	sent                    atomic.Int64
	fulls, drains           atomic.Int64
	drainsAfterReading      atomic.Int64
	maxQueued               atomic.Int64
	errs                    chan error
	closed                  chan error
}

func (h *evFlood) fail(format string, args ...any) {
	select {
	case h.errs <- fmt.Errorf(format, args...):
	default:
	}
}

func (h *evFlood) OnOpen(c *netpoll.EventConn)             { h.pump(c) }
func (h *evFlood) OnData(*netpoll.EventConn, []byte)       {}
func (h *evFlood) OnClose(c *netpoll.EventConn, err error) { h.closed <- err }

func (h *evFlood) OnDrain(c *netpoll.EventConn) {
	h.drains.Add(1)
	if h.reading.Load() {
		h.drainsAfterReading.Add(1)
	}
	if q := c.Queued(); q > h.low {
		h.fail("OnDrain with %d bytes queued, above the low watermark %d", q, h.low)
	}
	h.pump(c)
}

func (h *evFlood) pump(c *netpoll.EventConn) {
	for sent := int(h.sent.Load()); sent < h.total; sent = int(h.sent.Load()) {
		off := sent % len(h.pat)
		n := min(h.chunk, len(h.pat)-off, h.total-sent)
		before := c.Queued()
		w, err := c.Write(h.pat[off : off+n])
		if errors.Is(err, netpoll.ErrQueueFull) {
			h.fulls.Add(1)
			if w != 0 {
				h.fail("Write returned ErrQueueFull having taken %d bytes", w)
			}
			if before < h.high {
				h.fail("Write returned ErrQueueFull with %d bytes queued, below the high watermark %d", before, h.high)
			}
			return
		}
		if err != nil {
			h.fail("Write: %v", err)
			return
		}
		if before >= h.high {
			h.fail("Write took %d bytes with %d queued, at or past the high watermark %d", w, before, h.high)
		}
		if w != n {
			h.fail("Write on the loop took %d of %d bytes", w, n)
		}
		h.sent.Add(int64(w))
		q := c.Queued()
		if int64(q) > h.maxQueued.Load() {
			h.maxQueued.Store(int64(q))
		}
		if q > h.high+n {
			h.fail("%d bytes queued after a write of %d: past the high watermark %d plus one write", q, n, h.high)
		}
	}
	if err := c.Close(); err != nil {
		h.fail("Close: %v", err)
	}
}

// A handler writes 32 MiB to a client that does not read for a while,
// with watermarks 256 KiB / 64 KiB: Write returns ErrQueueFull once
// Queued() reaches the high mark and never before, the queue never holds
// more than the high mark plus one write, the writer stalls while the
// client does not read, OnDrain comes once the client reads, and every
// byte arrives in order.
func TestEvent_DrainSlowReader(t *testing.T) {
	fdtest.Check(t)
	const high, low = 256 << 10, 64 << 10
	g := evGroup(t, 1)
	h := &evFlood{
		total: 32 << 20, chunk: 100_003, high: high, low: low,
		pat:    evRandom(1<<20+7, 11),
		errs:   make(chan error, 1),
		closed: make(chan error, 1),
	}
	srv := evServe(t, g, h, netpoll.WithWatermarks(high, low))
	c := evDial(t, srv.Addr().String())

	// Wait until the writer has stalled: the kernel's buffers and the
	// queue are full, and nothing moves while the client does not read.
	last, since := int64(-1), time.Now()
	evWait(t, "the writer to stall", func() bool {
		if s := h.sent.Load(); s != last {
			last, since = s, time.Now()
		}
		return h.fulls.Load() > 0 && time.Since(since) > 300*time.Millisecond
	})
	stalled := h.sent.Load()
	if stalled >= int64(h.total) {
		t.Fatalf("all %d bytes were accepted without the client reading", stalled)
	}
	t.Logf("stalled after %d bytes accepted, %d ErrQueueFull, %d OnDrain", stalled, h.fulls.Load(), h.drains.Load())

	h.reading.Store(true)
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReaderSize(c, 256<<10)
	buf := make([]byte, 1<<20)
	for off := 0; off < h.total; {
		n := min(len(buf), h.total-off)
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			t.Fatalf("reading at byte %d: %v", off, err)
		}
		for i := 0; i < n; {
			p := (off + i) % len(h.pat)
			m := min(n-i, len(h.pat)-p)
			if !bytes.Equal(buf[i:i+m], h.pat[p:p+m]) {
				t.Fatalf("byte %d differs from what was written", off+i+commonPrefix(buf[i:i+m], h.pat[p:p+m]))
			}
			i += m
		}
		off += n
	}
	if n, err := br.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after %d bytes: %d, %v; want EOF", h.total, n, err)
	}
	select {
	case err := <-h.closed:
		if err != nil {
			t.Errorf("OnClose: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("no OnClose")
	}
	select {
	case err := <-h.errs:
		t.Error(err)
	default:
	}
	if h.drainsAfterReading.Load() == 0 {
		t.Error("no OnDrain after the client started reading")
	}
	if m := h.maxQueued.Load(); m > int64(high+h.chunk) || m < high {
		t.Errorf("the queue held at most %d bytes; want between %d and %d", m, high, high+h.chunk)
	}
	t.Logf("%d ErrQueueFull, %d OnDrain (%d after reading started), queue peak %d", h.fulls.Load(), h.drains.Load(), h.drainsAfterReading.Load(), h.maxQueued.Load())
}

// evConnOpened is a handler that hands each connection to the test.
func evConnOpened(conns chan<- *netpoll.EventConn) netpoll.Handler {
	return netpoll.Handlers{Open: func(c *netpoll.EventConn) { conns <- c }}
}

// Writes from goroutines outside the loop keep their order: 100 records
// written one after another arrive in order; with two goroutines writing
// records larger than the high watermark at once, each record arrives
// whole and each goroutine's records in its order.
func TestEvent_WriteFromGoroutines(t *testing.T) {
	fdtest.Check(t)
	t.Run("Sequential", func(t *testing.T) {
		g := evGroup(t, 2)
		conns := make(chan *netpoll.EventConn, 1)
		srv := evServe(t, g, evConnOpened(conns))
		client := evDial(t, srv.Addr().String())
		ec := <-conns
		var want bytes.Buffer
		for i := range 100 {
			rec := fmt.Sprintf("record %03d\n", i)
			want.WriteString(rec)
			if n, err := ec.Write([]byte(rec)); n != len(rec) || err != nil {
				t.Fatalf("Write from a goroutine: %d, %v", n, err)
			}
		}
		if err := ec.Close(); err != nil {
			t.Fatalf("Close from a goroutine: %v", err)
		}
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(client)
		if err != nil || string(got) != want.String() {
			t.Fatalf("client read %q, %v", got, err)
		}
	})
	t.Run("TwoWriters", func(t *testing.T) {
		g := evGroup(t, 2)
		conns := make(chan *netpoll.EventConn, 1)
		srv := evServe(t, g, evConnOpened(conns), netpoll.WithWatermarks(64<<10, 16<<10))
		client := evDial(t, srv.Addr().String())
		ec := <-conns
		const writers, records = 2, 150
		type result struct {
			counts [writers]int
			err    error
		}
		done := make(chan result, 1)
		go func() { // the client parses records until EOF
			var r result
			br := bufio.NewReader(client)
			hdr := make([]byte, 12)
			for {
				if _, err := io.ReadFull(br, hdr); err != nil {
					if err != io.EOF {
						r.err = fmt.Errorf("reading a header: %w", err)
					}
					break
				}
				w, seq, size := int(hdr[0]), int(binary.BigEndian.Uint32(hdr[4:])), int(binary.BigEndian.Uint32(hdr[8:]))
				if w >= writers || seq != r.counts[w] || size != evRecordSize(seq) {
					r.err = fmt.Errorf("record header writer %d seq %d size %d; writer %d's next is %d", w, seq, size, w, r.counts[min(w, writers-1)])
					break
				}
				body := make([]byte, size)
				if _, err := io.ReadFull(br, body); err != nil {
					r.err = fmt.Errorf("reading record %d of writer %d: %w", seq, w, err)
					break
				}
				if !bytes.Equal(body, evRecordBody(w, seq, size)) {
					r.err = fmt.Errorf("record %d of writer %d is not whole", seq, w)
					break
				}
				r.counts[w]++
			}
			done <- r
		}()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := range records {
					size := evRecordSize(seq)
					rec := make([]byte, 12, 12+size)
					rec[0] = byte(w)
					binary.BigEndian.PutUint32(rec[4:], uint32(seq))
					binary.BigEndian.PutUint32(rec[8:], uint32(size))
					rec = append(rec, evRecordBody(w, seq, size)...)
					if n, err := ec.Write(rec); n != len(rec) || err != nil {
						t.Errorf("writer %d, record %d: Write %d of %d, %v", w, seq, n, len(rec), err)
						return
					}
				}
			}()
		}
		wg.Wait()
		ec.Close()
		client.SetReadDeadline(time.Now().Add(30 * time.Second))
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		for w, n := range r.counts {
			if n != records {
				t.Errorf("writer %d: %d records arrived, want %d", w, n, records)
			}
		}
	})
}

// evRecordSize varies record sizes from tiny to past the 64 KiB high mark.
func evRecordSize(seq int) int { return 1 + seq*7919%150_000 }

func evRecordBody(w, seq, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(w*131 + seq*31 + i)
	}
	return b
}

// Write and Close from another goroutine after the connection was closed
// (by the handler, by the Server, or with its loop gone) return errors
// matching net.ErrClosed, and never panic.
func TestEvent_UseAfterClose(t *testing.T) {
	fdtest.Check(t)
	t.Run("AfterHandlerClose", func(t *testing.T) {
		g := evGroup(t, 1)
		conns := make(chan *netpoll.EventConn, 1)
		srv := evServe(t, g, netpoll.Handlers{Open: func(c *netpoll.EventConn) {
			c.Close()
			conns <- c
		}})
		client := evDial(t, srv.Addr().String())
		ec := <-conns
		if _, err := ec.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: %v, want net.ErrClosed", err)
		}
		ec.Close() // no panic; from a goroutine it is only posted
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if b, err := io.ReadAll(client); len(b) != 0 || err != nil {
			t.Errorf("client read %q, %v; want EOF", b, err)
		}
	})
	// A goroutine's Write to a connection that is closed but still sending
	// its queue: the error must be made on the loop (the addresses are loop
	// state), which an earlier version did not, racing with the loop's
	// release of the fd and its RemoteAddr; -race catches that.
	t.Run("WhileClosedConnDrains", func(t *testing.T) {
		g := evGroup(t, 1)
		conns := make(chan *netpoll.EventConn, 1)
		later := make(chan net.Addr, 1)
		payload := evRandom(16<<20, 5)
		srv := evServe(t, g, netpoll.Handlers{Open: func(c *netpoll.EventConn) {
			c.Write(payload) // far more than the kernel takes from a client that does not read yet
			c.Close()        // the rest is still sent, before FIN
			conns <- c
			// A handler may well look at a closed connection's address
			// later, on its loop.
			c.Loop().AfterFunc(200*time.Millisecond, func() { later <- c.RemoteAddr() })
		}})
		client := evDial(t, srv.Addr().String())
		ec := <-conns
		if _, err := ec.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: %v, want net.ErrClosed", err)
		}
		client.SetReadDeadline(time.Now().Add(20 * time.Second))
		got, err := io.ReadAll(client)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("client read %d bytes, %v; want the %d written before Close, then EOF", len(got), err, len(payload))
		}
		if a := <-later; a != nil && a.String() != client.LocalAddr().String() {
			t.Errorf("RemoteAddr of the closed connection: %v, want nil or %v", a, client.LocalAddr())
		}
	})
	t.Run("AfterServerAndGroupClose", func(t *testing.T) {
		g, err := loop.NewGroup(1)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		conns := make(chan *netpoll.EventConn, 1)
		srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", evConnOpened(conns))
		if err != nil {
			t.Fatal(err)
		}
		client := evDial(t, srv.Addr().String())
		ec := <-conns
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := ec.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Server.Close: %v, want net.ErrClosed", err)
		}
		ec.Close()
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := ec.Write([]byte("later")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after the loop closed: %v, want net.ErrClosed", err)
		}
		if err := ec.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Close after the loop closed: %v, want net.ErrClosed", err)
		}
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(client); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read: %v, want EOF or a reset", err)
		}
	})
}

// evLoopOf remembers the loop index of each connection by the client's
// address (the server side's remote address).
type evLoopOf struct {
	g     *loop.Group
	mu    sync.Mutex
	by    map[string]int
	count []atomic.Int64
}

func newLoopOf(g *loop.Group) *evLoopOf {
	return &evLoopOf{g: g, by: map[string]int{}, count: make([]atomic.Int64, g.Len())}
}

func (m *evLoopOf) handler() netpoll.Handler {
	return netpoll.Handlers{Open: func(c *netpoll.EventConn) {
		i := evLoopIndex(m.g, c.Loop())
		m.mu.Lock()
		m.by[c.RemoteAddr().String()] = i
		m.mu.Unlock()
		m.count[i].Add(1)
	}}
}

func (m *evLoopOf) of(c net.Conn) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.by[c.LocalAddr().String()]
	if !ok {
		return -1
	}
	return i
}

// evListeners counts this process's listening sockets bound to port.
func evListeners(t *testing.T, port int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || v != 1 {
			continue
		}
		switch sa, _ := unix.Getsockname(fd); sa := sa.(type) {
		case *unix.SockaddrInet4:
			if sa.Port == port {
				n++
			}
		case *unix.SockaddrInet6:
			if sa.Port == port {
				n++
			}
		}
	}
	return n
}

// One acceptor spreads connections over a group of 2: RoundRobin gives
// 5 of 10 to each loop; LeastConns gives each new connection to the loop
// with the fewest; with WithReusePort each loop has a listening socket
// and the kernel sends connections to both.
func TestEvent_Balance(t *testing.T) {
	fdtest.Check(t)
	t.Run("RoundRobin", func(t *testing.T) {
		g := evGroup(t, 2)
		m := newLoopOf(g)
		srv := evServe(t, g, m.handler(), netpoll.WithBalance(netpoll.RoundRobin))
		if n := evListeners(t, srv.Addr().(*net.TCPAddr).Port); n != 1 {
			t.Errorf("%d listening sockets, want 1", n)
		}
		for range 10 {
			evDial(t, srv.Addr().String())
		}
		evWait(t, "10 connections open", func() bool {
			return evSum(srv.Conns()) == 10 && m.count[0].Load()+m.count[1].Load() == 10
		})
		if got := srv.Conns(); got[0] != 5 || got[1] != 5 {
			t.Errorf("Conns() = %v, want [5 5]", got)
		}
		if a, b := m.count[0].Load(), m.count[1].Load(); a != 5 || b != 5 {
			t.Errorf("OnOpen ran %d times on loop 0 and %d on loop 1, want 5 and 5", a, b)
		}
	})
	t.Run("LeastConns", func(t *testing.T) {
		g := evGroup(t, 2)
		m := newLoopOf(g)
		srv := evServe(t, g, m.handler(), netpoll.WithBalance(netpoll.LeastConns))
		dial := func(wantLoop int) net.Conn {
			t.Helper()
			before := evSum(srv.Conns())
			c := evDial(t, srv.Addr().String())
			evWait(t, "the connection to open", func() bool { return evSum(srv.Conns()) == before+1 && m.of(c) >= 0 })
			if i := m.of(c); i != wantLoop {
				t.Errorf("connection went to loop %d with Conns() %v, want loop %d", i, srv.Conns(), wantLoop)
			}
			return c
		}
		var on0 []net.Conn
		for i := range 4 {
			if c := dial(i % 2); i%2 == 0 {
				on0 = append(on0, c)
			}
		}
		if got := srv.Conns(); got[0] != 2 || got[1] != 2 {
			t.Fatalf("Conns() = %v, want [2 2]", got)
		}
		for _, c := range on0 {
			c.Close()
		}
		evWait(t, "loop 0's connections to close", func() bool { return srv.Conns()[0] == 0 })
		dial(0) // [0 2]: the least loaded loop is 0
		dial(0) // [1 2]
		dial(0) // [2 2]: a tie goes to the first
		dial(1) // [3 2]
		if got := srv.Conns(); got[0] != 3 || got[1] != 3 {
			t.Errorf("Conns() = %v, want [3 3]", got)
		}
	})
	// A burst accepted while the loops are busy: each connection must count
	// on its loop when it is handed out, not when the loop opens it (an
	// earlier version sent a burst of 10 to one loop: [1 9]).
	t.Run("LeastConnsBurst", func(t *testing.T) {
		g := evGroup(t, 2)
		m := newLoopOf(g)
		srv := evServe(t, g, m.handler(), netpoll.WithBalance(netpoll.LeastConns))
		// Hold both loops busy while 10 clients connect, so that the
		// acceptor (loop 0) finds them all in its backlog at once, and loop
		// 1 is busy as it is handed connections.
		hold0, hold1 := make(chan struct{}), make(chan struct{})
		g.Loop(0).Post(func() { <-hold0 })
		g.Loop(1).Post(func() { <-hold1 })
		for range 10 {
			evDial(t, srv.Addr().String())
		}
		time.Sleep(20 * time.Millisecond)
		close(hold0)
		evWait(t, "10 connections accepted", func() bool { return srv.Accepted() == 10 })
		close(hold1)
		evWait(t, "10 connections open", func() bool {
			return evSum(srv.Conns()) == 10 && m.count[0].Load()+m.count[1].Load() == 10
		})
		if got := srv.Conns(); got[0] != 5 || got[1] != 5 {
			t.Errorf("LeastConns spread a burst of 10 connections as %v, want [5 5]", got)
		}
	})
	t.Run("ReusePort", func(t *testing.T) {
		g := evGroup(t, 2)
		m := newLoopOf(g)
		srv := evServe(t, g, m.handler(), netpoll.WithReusePort())
		if n := evListeners(t, srv.Addr().(*net.TCPAddr).Port); n != 2 {
			t.Errorf("%d listening sockets, want 2 (one per loop)", n)
		}
		const conns = 200
		for range conns {
			evDial(t, srv.Addr().String())
		}
		evWait(t, "the connections to open", func() bool {
			return evSum(srv.Conns()) == conns && m.count[0].Load()+m.count[1].Load() == conns
		})
		a, b := m.count[0].Load(), m.count[1].Load()
		if a < 1 || b < 1 || a+b != conns {
			t.Errorf("%d connections on loop 0 and %d on loop 1: want both served", a, b)
		}
		if got := srv.Conns(); got[0] != a || got[1] != b {
			t.Errorf("Conns() = %v, OnOpen counted [%d %d]", got, a, b)
		}
		t.Logf("loop 0: %d, loop 1: %d", a, b)
	})
}

// With WithReusePort each loop accepts for itself, from its first
// connection: loop 0 may accept before Serve has set up loop 1's socket
// (here loop 1 is kept busy so that it does), and an earlier version then
// read Serve's list of acceptors unsynchronized (a race -race caught) and
// handed such a connection out round-robin.
func TestEvent_ReusePortAcceptsOnOwnLoop(t *testing.T) {
	fdtest.Check(t)
	// The race detector missed that race when loop 0 happened to
	// synchronize with Serve's goroutine first: a few rounds made it all
	// but certain to show.
	for round := range 5 {
		evReusePortRound(t, round)
	}
}

func evReusePortRound(t *testing.T, round int) {
	g, err := loop.NewGroup(2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", netpoll.Handlers{
		Data: func(c *netpoll.EventConn, data []byte) {
			c.Write([]byte(strconv.Itoa(evLoopIndex(g, c.Loop()))))
		},
	}, netpoll.WithReusePort())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hold := make(chan struct{})
	if err := g.Loop(1).Post(func() { <-hold }); err != nil {
		t.Fatal(err)
	}
	defer close(hold)
	// Dial until the kernel hands a connection to loop 0's socket: that
	// one answers while loop 1 is busy.
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatalf("round %d: no connection of 100 was served while loop 1 was busy", round)
		}
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("which loop?")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil {
			continue // on loop 1's socket: it answers once loop 1 is free
		}
		if b[0] != '0' {
			t.Errorf("round %d: served on loop %c while loop 1 was busy; want loop 0", round, b[0])
		}
		return
	}
}

// Server.Close closes every connection (OnClose with net.ErrClosed, the
// clients read EOF or a reset), stops listening, and a second Close
// returns net.ErrClosed.
func TestEvent_ServerClose(t *testing.T) {
	fdtest.Check(t)
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("ReusePort=%v", reuse), func(t *testing.T) {
			g := evGroup(t, 2)
			var opts []netpoll.Option
			if reuse {
				opts = append(opts, netpoll.WithReusePort())
			}
			var closes, closedOK atomic.Int32
			srv := evServe(t, g, netpoll.Handlers{
				Data: func(c *netpoll.EventConn, data []byte) { c.Write(data) },
				Close: func(c *netpoll.EventConn, err error) {
					closes.Add(1)
					if errors.Is(err, net.ErrClosed) {
						closedOK.Add(1)
					}
				},
			}, opts...)
			const n = 10
			var clients []*net.TCPConn
			for range n {
				c := evDial(t, srv.Addr().String())
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write([]byte("ping")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			if err := srv.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if c, ok := closes.Load(), closedOK.Load(); c != n || ok != n {
				t.Errorf("by the time Close returned: %d OnClose, %d with net.ErrClosed; want %d", c, ok, n)
			}
			if got := srv.Conns(); evSum(got) != 0 {
				t.Errorf("Conns() = %v after Close", got)
			}
			for _, c := range clients {
				if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("client read after Server.Close: %v, want EOF or a reset", err)
				}
			}
			if err := srv.Close(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("second Close: %v, want net.ErrClosed", err)
			}
			if c, err := net.Dial("tcp", srv.Addr().String()); err == nil {
				c.Close()
				t.Error("Dial succeeded after Server.Close")
			}
		})
	}
}

// OnClose never runs inside the handler's own call that ended the
// connection (Close, or a Write the kernel refused): it runs once that
// callback has returned, before the loop's next task.
func TestEvent_OnCloseNotInsideClose(t *testing.T) {
	fdtest.Check(t)
	g := evGroup(t, 1)
	var log []string
	done := make(chan struct{})
	srv := evServe(t, g, netpoll.Handlers{
		Data: func(c *netpoll.EventConn, data []byte) {
			log = append(log, "close")
			c.Close()
			log = append(log, "close returned")
		},
		Close: func(c *netpoll.EventConn, err error) {
			log = append(log, fmt.Sprintf("OnClose %v", err))
			close(done)
		},
	})
	c := evDial(t, srv.Addr().String())
	c.Write([]byte("x"))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("no OnClose")
	}
	looptest.On(t, g.Loop(0), func() {
		if got, want := strings.Join(log, ", "), "close, close returned, OnClose <nil>"; got != want {
			t.Errorf("calls: %s; want %s", got, want)
		}
	})
}
