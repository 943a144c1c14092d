//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/testcert"
	"github.com/weftio/weft/netpoll"
)

// crypto/tls and net/http's wire functions over fiber Conns, against each
// other and against Go's own clients and servers.

// tlsConfigs makes a self-signed ECDSA certificate for localhost and
// 127.0.0.1, and the server and client configurations that use it.
func tlsConfigs(t *testing.T) (server, client *tls.Config) {
	c := testcert.New(t)
	return c.Server, c.Client
}

// tlsEchoListen listens on loopback and echoes every connection through a
// TLS server with cfg, in a fiber of its own; stop is serveConns'.
func tlsEchoListen(ctx context.Context, cfg *tls.Config) (ln *netpoll.Listener, stop func() (accepted int, err error), err error) {
	ln, err = netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	stop = serveConns(ctx, ln, func(ctx context.Context, c *netpoll.Conn) {
		spawn(ctx, func(ctx context.Context) error {
			tc := tls.Server(c, cfg)
			defer tc.Close()
			if err := tc.HandshakeContext(ctx); err != nil {
				return fmt.Errorf("server handshake: %w", err)
			}
			if tc.ConnectionState().Version != tls.VersionTLS13 {
				return fmt.Errorf("TLS version %x, want 1.3", tc.ConnectionState().Version)
			}
			_, err := io.Copy(tc, tc) // until the client's close_notify
			return err
		})
	})
	return ln, stop, nil
}

// stopAccepted calls a stop from serveConns and fails t unless the server
// accepted want connections.
func stopAccepted(t *testing.T, stop func() (int, error), want int) error {
	t.Helper()
	accepted, err := stop()
	if err != nil {
		return err
	}
	if accepted != want {
		t.Errorf("accepted %d connections, want %d", accepted, want)
	}
	return nil
}

// tlsStopEcho tells the echo server that tc is done with close_notify and
// checks that the server's echo then ends with its own.
func tlsStopEcho(tc *tls.Conn) error {
	if err := tc.CloseWrite(); err != nil {
		return fmt.Errorf("CloseWrite: %w", err)
	}
	if b, err := io.ReadAll(tc); err != nil || len(b) != 0 {
		return fmt.Errorf("after close_notify the client read %d bytes, %v; want EOF", len(b), err)
	}
	return nil
}

var tlsSizes = []int{1, 16 << 10, 1 << 20}

// tlsExchange writes each message with write (run concurrently) and reads
// it back from r, checking every byte.
func tlsExchange(r io.Reader, write func(msg []byte) func() error) error {
	for i, size := range tlsSizes {
		msg := evRandom(size, uint64(100+i))
		wait := write(msg)
		got := make([]byte, size)
		if _, err := io.ReadFull(r, got); err != nil {
			return fmt.Errorf("reading the echo of %d bytes: %w", size, err)
		}
		if err := wait(); err != nil {
			return fmt.Errorf("writing %d bytes: %w", size, err)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("echo of %d bytes differs from byte %d", size, commonPrefix(got, msg))
		}
	}
	return nil
}

// A fiber TLS client (tls.Client over netpoll.Dial) and a fiber TLS
// server (tls.Server over an accepted Conn) on one loop: the handshake
// verifies the certificate, and messages of 1 B, 16 KiB and 1 MiB echo
// back intact; the close_notify ends both sides cleanly.
func TestTLS_FiberClientFiberServer(t *testing.T) {
	fdtest.Check(t)
	serverCfg, clientCfg := tlsConfigs(t)
	run(t, func(ctx context.Context) error {
		ln, stop, err := tlsEchoListen(ctx, serverCfg)
		if err != nil {
			return err
		}
		c, err := netpoll.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		tc := tls.Client(c, clientCfg)
		defer tc.Close()
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("client handshake: %w", err)
		}
		// One fiber writes while this one reads: tls.Conn's Read and Write
		// hold different locks, so they never contend.
		err = tlsExchange(tc, func(msg []byte) func() error {
			return spawn(ctx, func(ctx context.Context) error { _, err := tc.Write(msg); return err })
		})
		if err != nil {
			return err
		}
		if err := tlsStopEcho(tc); err != nil {
			return err
		}
		return stopAccepted(t, stop, 1)
	})
}

// A client of Go's crypto/tls (tls.Dial on a goroutine) against the fiber
// TLS server.
func TestTLS_NetClientFiberServer(t *testing.T) {
	fdtest.Check(t)
	serverCfg, clientCfg := tlsConfigs(t)
	run(t, func(ctx context.Context) error {
		ln, stop, err := tlsEchoListen(ctx, serverCfg)
		if err != nil {
			return err
		}
		const clients = 3
		err = goClients(ctx, t, clients, func(int) error {
			d := &net.Dialer{Timeout: 10 * time.Second}
			tc, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), clientCfg)
			if err != nil {
				return fmt.Errorf("Go TLS client: %w", err)
			}
			defer tc.Close()
			tc.SetDeadline(time.Now().Add(30 * time.Second))
			err = tlsExchange(tc, func(msg []byte) func() error {
				werr := make(chan error, 1)
				go func() { _, err := tc.Write(msg); werr <- err }()
				return func() error { return <-werr }
			})
			if err == nil {
				err = tlsStopEcho(tc)
			}
			if err != nil {
				return fmt.Errorf("Go TLS client: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return stopAccepted(t, stop, clients)
	})
}

// httpAnswer is what both HTTP servers answer: the method, path, body
// length and body hash.
func httpAnswer(method, path string, body []byte) string {
	return fmt.Sprintf("%s %s %d %x", method, path, len(body), sha256.Sum256(body))
}

// httpServeConn serves HTTP/1.1 on c with http.ReadRequest and
// Response.Write, keeping the connection alive until the client closes it;
// each response says which request of the connection it answers.
func httpServeConn(c *netpoll.Conn) error {
	defer c.Close()
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	for n := 1; ; n++ {
		req, err := http.ReadRequest(br)
		if err == io.EOF {
			return nil // the client closed its idle connection
		}
		if err != nil {
			return fmt.Errorf("ReadRequest: %w", err)
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return fmt.Errorf("reading the body of request %d: %w", n, err)
		}
		req.Body.Close()
		answer := httpAnswer(req.Method, req.URL.Path, body)
		resp := &http.Response{
			StatusCode:    http.StatusOK,
			ProtoMajor:    1,
			ProtoMinor:    1,
			Request:       req,
			Header:        http.Header{"Content-Type": {"text/plain"}, "X-Request-On-Conn": {strconv.Itoa(n)}},
			ContentLength: int64(len(answer)),
			Body:          io.NopCloser(strings.NewReader(answer)),
		}
		if err := resp.Write(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if req.Close {
			return nil
		}
	}
}

// httpRequest is one request of the HTTP tests.
type httpRequest struct {
	method, path string
	body         []byte
	chunked      bool // send the body with an unknown length
}

func (r httpRequest) reader() io.Reader {
	if r.body == nil {
		return nil
	}
	if r.chunked {
		return io.MultiReader(bytes.NewReader(r.body)) // no Len: chunked encoding
	}
	return bytes.NewReader(r.body)
}

// check reads resp's body and checks that it is the answer to r.
func (r httpRequest) check(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", r.method, r.path, err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != httpAnswer(r.method, r.path, r.body) {
		return fmt.Errorf("%s %s: %s %q", r.method, r.path, resp.Status, body)
	}
	return nil
}

var httpRequests = []httpRequest{
	{method: "GET", path: "/"},
	{method: "POST", path: "/small", body: []byte("name=weft&kind=loop")},
	{method: "GET", path: "/again"},
	{method: "POST", path: "/big", body: evRandom(1<<20, 21)},
	{method: "POST", path: "/chunked", body: evRandom(200_000, 22), chunked: true},
	{method: "PUT", path: "/empty", body: []byte{}},
	{method: "GET", path: "/last"},
}

// A fiber HTTP/1.1 server (bufio, http.ReadRequest, Response.Write)
// serves a net/http.Client on a goroutine: GETs and POSTs with bodies
// (sized and chunked) all go over one kept-alive connection.
func TestHTTP_FiberServerNetClient(t *testing.T) {
	fdtest.Check(t)
	run(t, func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		stop := serveConns(ctx, ln, func(ctx context.Context, c *netpoll.Conn) {
			spawn(ctx, func(ctx context.Context) error { return httpServeConn(c) })
		})
		err = goClients(ctx, t, 1, func(int) error {
			tr := &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			for i, r := range httpRequests {
				req, err := http.NewRequest(r.method, "http://"+ln.Addr().String()+r.path, r.reader())
				if err != nil {
					return err
				}
				resp, err := client.Do(req)
				if err != nil {
					return fmt.Errorf("%s %s: %w", r.method, r.path, err)
				}
				if err := r.check(resp); err != nil {
					return err
				}
				if got := resp.Header.Get("X-Request-On-Conn"); got != strconv.Itoa(i+1) {
					return fmt.Errorf("%s %s was request %s of its connection, want %d (keep-alive)", r.method, r.path, got, i+1)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return stopAccepted(t, stop, 1) // one kept-alive connection
	})
}

// A fiber HTTP/1.1 client (Request.Write, http.ReadResponse over a Conn
// from netpoll.Dial) against an httptest.Server: every request on one
// connection.
func TestHTTP_FiberClientHTTPTestServer(t *testing.T) {
	fdtest.Check(t)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, httpAnswer(r.Method, r.URL.Path, body))
	}))
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	run(t, func(ctx context.Context) error {
		c, err := netpoll.Dial(ctx, "tcp", ts.Listener.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		for _, r := range httpRequests {
			req, err := http.NewRequest(r.method, ts.URL+r.path, r.reader())
			if err != nil {
				return err
			}
			if err := req.Write(c); err != nil {
				return fmt.Errorf("%s %s: Request.Write: %w", r.method, r.path, err)
			}
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				return fmt.Errorf("%s %s: ReadResponse: %w", r.method, r.path, err)
			}
			if err := r.check(resp); err != nil {
				return err
			}
			if resp.Close {
				return fmt.Errorf("%s %s: the server closes the connection", r.method, r.path)
			}
		}
		return nil
	})
	if n := conns.Load(); n != 1 {
		t.Errorf("the server saw %d connections, want 1", n)
	}
}
