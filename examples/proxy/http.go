//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/netpoll"
)

// upConn is a kept-alive connection to an upstream.
type upConn struct {
	c  *netpoll.Conn
	br *bufio.Reader
	bw *bufio.Writer
	up *upstream
}

// pools are a loop's idle upstream connections, per upstream. Only the
// loop's fibers touch them: no lock.
type pools map[*upstream][]*upConn

// maxIdlePerUpstream bounds each loop's idle connections to one upstream.
// Below the number of requests in flight, connections are closed after
// their request and dialled again for the next: at 500 clients a bound of
// 64 cost a connect and a close for most requests.
const maxIdlePerUpstream = 512

func isEOF(err error) bool { return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) }

// serveHTTP serves HTTP/1.1 requests on one client connection, with
// keep-alive, until the client closes, a request says Connection: close,
// an error, -idle-timeout between requests, or the signal.
func (p *proxy) serveHTTP(ctx context.Context, nc *netpoll.Conn, pool pools) {
	var c net.Conn = nc
	proto := "http"
	if p.tls != nil {
		// crypto/tls over the fiber connection, unchanged; the handshake
		// must finish within -header-timeout.
		tc := tls.Server(nc, p.tls)
		nc.SetDeadline(time.Now().Add(p.c.headerTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return
		}
		nc.SetDeadline(time.Time{})
		c, proto = tc, "https"
	}
	br := bufio.NewReaderSize(c, headerBufSize)
	bw := bufio.NewWriterSize(c, 4<<10)
	cs := &clientSide{c: c, br: br, bw: bw, ip: clientIP(nc), proto: proto}
	// The signal ends a wait for the next request at once: the
	// connection's loop is told, and cuts the wait short if it is idle.
	idle := false
	l := nc.Loop()
	stopIdle := context.AfterFunc(p.sig, func() {
		l.Post(func() {
			if idle {
				nc.SetReadDeadline(time.Unix(1, 0))
			}
		})
	})
	defer stopIdle()
	for {
		if p.sig.Err() != nil {
			return
		}
		// Idle until the next request's first byte.
		c.SetReadDeadline(time.Now().Add(p.c.idleTimeout))
		idle = true
		_, err := br.Peek(1)
		idle = false
		if err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(p.c.headerTimeout))
		start := time.Now()
		if status, why := checkFraming(br); status != 0 {
			// Refused before anything reaches an upstream.
			cs.reply(status, why)
			p.logAccess(cs, nil, start)
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			if !isEOF(err) && !errors.Is(err, os.ErrDeadlineExceeded) {
				cs.reply(http.StatusBadRequest, "malformed request")
				p.logAccess(cs, nil, start)
			}
			return
		}
		c.SetReadDeadline(time.Time{}) // the body may take its time
		cs.status, cs.upstream = 0, ""
		keep := p.forward(ctx, pool, req, cs)
		p.logAccess(cs, req, start)
		if !keep || req.Close {
			return
		}
	}
}

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1, which a proxy
// must not forward.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// removeHop deletes the hop-by-hop headers and those Connection names.
func removeHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name) // canonical already
	}
}

// forward sends req to an upstream and its response to the client, and
// reports whether the client connection may serve another request.
func (p *proxy) forward(ctx context.Context, pool pools, req *http.Request, cs *clientSide) bool {
	bw, client, proto := cs.bw, cs.ip, cs.proto
	switch expect := req.Header.Get("Expect"); {
	case expect == "":
	case strings.EqualFold(expect, "100-continue"):
		// The proxy answers for the upstream: the client sends its body
		// now, and the upstream gets a plain request.
		req.Header.Del("Expect")
		io.WriteString(bw, "HTTP/1.1 100 Continue\r\n\r\n")
		if bw.Flush() != nil {
			return false
		}
	default:
		cs.reply(http.StatusExpectationFailed, "unsupported Expect")
		return false
	}
	upgrade := req.Header.Get("Upgrade")
	if upgrade != "" && !hasToken(req.Header["Connection"], "upgrade") {
		upgrade = ""
	}
	removeHop(req.Header)
	if upgrade != "" {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", upgrade)
	}
	if prior := req.Header.Get("X-Forwarded-For"); prior != "" {
		client = prior + ", " + client
	}
	req.Header["X-Forwarded-For"] = []string{client}
	setShared(req.Header, "X-Forwarded-Proto", proto) // replaces what the client sent
	addShared(req.Header, "Via", via(req.ProtoMajor, req.ProtoMinor))
	req.Close = false
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions

	var tried map[*upstream]bool // made on the first retry: most requests need none
	for {
		up := p.pick(tried)
		if up == nil {
			cs.reply(http.StatusBadGateway, "no upstream could be reached")
			return false
		}
		uc, fresh, err := p.upstreamConn(ctx, pool, up)
		if err != nil {
			up.failed()
			if tried == nil {
				tried = map[*upstream]bool{}
			}
			tried[up] = true
			if len(tried) < len(p.ups) && (idempotent || req.ContentLength == 0) {
				continue // nothing of the request was sent: try the next one
			}
			cs.reply(http.StatusBadGateway, "upstream unreachable")
			return false
		}
		up.active.Add(1)
		up.requests.Add(1)
		keep, retry := p.exchange(ctx, uc, req, cs, upgrade != "")
		up.active.Add(-1)
		if retry {
			up.failed()
		}
		if retry && !fresh && (idempotent || req.ContentLength == 0) {
			continue // a kept-alive connection the upstream had closed: another one
		}
		if keep {
			p.putIdle(pool, uc)
		}
		return keep
	}
}

// exchange writes req on uc and copies the response to the client. keep
// reports whether both connections may be reused (uc is closed
// otherwise); retry, that the upstream closed uc before answering and
// nothing reached the client.
func (p *proxy) exchange(ctx context.Context, uc *upConn, req *http.Request, cs *clientSide, upgrade bool) (keep, retry bool) {
	bw := cs.bw
	if err := writeRequest(uc.bw, req); err != nil || uc.bw.Flush() != nil {
		// Without a body the failure was the upstream's: the request
		// may go to another connection.
		uc.c.Close()
		return false, req.Body == nil || req.Body == http.NoBody
	}
	uc.c.SetReadDeadline(time.Now().Add(p.c.upstreamTimeout))
	resp, err := http.ReadResponse(uc.br, req)
	cs.upstream = uc.up.addr
	if err != nil {
		uc.up.failed()
		uc.c.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			cs.reply(http.StatusGatewayTimeout, "upstream timed out")
			return false, false
		}
		if isEOF(err) {
			return false, true
		}
		cs.reply(http.StatusBadGateway, "bad response from upstream")
		return false, false
	}
	uc.c.SetReadDeadline(time.Time{})
	uc.up.succeeded()
	cs.status = resp.StatusCode
	if upgrade && resp.StatusCode == http.StatusSwitchingProtocols {
		// The upstream agreed to switch (a WebSocket, say): pass its
		// answer on with the Upgrade headers, then bytes both ways.
		_, err := writeResponse(bw, resp, req, false)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			p.tunnel(ctx, cs, uc)
		}
		uc.c.Close()
		return false, false
	}
	upKeep := !resp.Close
	removeHop(resp.Header)
	addShared(resp.Header, "Via", via(resp.ProtoMajor, resp.ProtoMinor))
	mustClose, err := writeResponse(bw, resp, req, req.Close)
	resp.Body.Close()
	if err == nil {
		err = bw.Flush()
	}
	clientKeep := err == nil && !req.Close && !mustClose
	if err != nil || !upKeep {
		uc.c.Close()
		return clientKeep, false
	}
	return clientKeep, false
}

// clientSide is a client connection as forward sees it.
type clientSide struct {
	c     net.Conn // the netpoll.Conn, or the tls.Conn over it
	br    *bufio.Reader
	bw    *bufio.Writer
	ip    string // for X-Forwarded-For
	proto string // http or https, for X-Forwarded-Proto

	status   int    // of the current request's response, for the access log
	upstream string // that answered it
}

// hasToken reports whether a comma-separated header holds token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// tunnel copies bytes both ways between an upgraded client connection and
// its upstream, bytes already buffered first, until both directions end.
func (p *proxy) tunnel(ctx context.Context, cs *clientSide, uc *upConn) {
	other := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, pipe(uc.c, cs.br, cs.c)
	})
	pipe(cs.c, uc.br, uc.c)
	fiber.Await(ctx, other)
}

// pipe copies from r (a buffered reader of src) to dst until EOF, then
// half-closes dst; on an error it closes both.
func pipe(dst net.Conn, r io.Reader, src net.Conn) error {
	buf := make([]byte, 32<<10)
	_, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{r}, buf)
	if err != nil {
		dst.Close()
		src.Close()
		return err
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// upstreamConn takes an idle connection to up from the loop's pool, or
// dials one; fresh says it was dialled now.
func (p *proxy) upstreamConn(ctx context.Context, pool pools, up *upstream) (*upConn, bool, error) {
	if idle := pool[up]; len(idle) > 0 {
		uc := idle[len(idle)-1]
		pool[up] = idle[:len(idle)-1]
		return uc, false, nil
	}
	c, err := p.dial(ctx, up)
	if err != nil {
		return nil, false, err
	}
	return &upConn{c: c, br: bufio.NewReaderSize(c, 4<<10), bw: bufio.NewWriterSize(c, 4<<10), up: up}, true, nil
}

// putIdle keeps uc for the next request to its upstream.
func (p *proxy) putIdle(pool pools, uc *upConn) {
	if len(pool[uc.up]) >= maxIdlePerUpstream || p.sig.Err() != nil {
		uc.c.Close()
		return
	}
	pool[uc.up] = append(pool[uc.up], uc)
}

// shared holds one-element value slices for the constant header values
// the proxy adds, so that adding them allocates nothing. net/http only
// reads a header it writes; nothing else touches these.
var shared = map[string][]string{
	"http": {"http"}, "https": {"https"}, "1.1 weft-proxy": {"1.1 weft-proxy"},
}

// setShared sets the header key (canonical) to value alone, as Set does,
// from a shared slice when the value is constant.
func setShared(h http.Header, key, value string) {
	if v, ok := shared[value]; ok {
		h[key] = v
		return
	}
	h[key] = []string{value}
}

// addShared adds value to the header key (canonical), as Add does, from a
// shared slice when the value is constant and the header is absent. (An
// append to a shared one-element slice makes a new array: the shared one
// is never written.)
func addShared(h http.Header, key, value string) {
	if v, ok := shared[value]; ok && len(h[key]) == 0 {
		h[key] = v
		return
	}
	h[key] = append(h[key], value)
}

// via is the Via header's value for a message of the given version.
func via(major, minor int) string {
	if major == 1 && minor == 1 {
		return "1.1 weft-proxy"
	}
	return fmt.Sprintf("%d.%d weft-proxy", major, minor)
}

// reply writes a short error response and asks the client to close.
func (cs *clientSide) reply(code int, msg string) {
	cs.status = code
	bw := cs.bw
	body := msg + "\n"
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), len(body), body)
	bw.Flush()
}

// clientIP is the client's address without the port.
func clientIP(c *netpoll.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// logAccess writes the access log line of a request (req is nil for one
// refused before it was parsed), if -access-log is set.
func (p *proxy) logAccess(cs *clientSide, req *http.Request, start time.Time) {
	if p.log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("client", cs.ip),
		slog.Int("status", cs.status),
		slog.Duration("took", time.Since(start)),
	}
	if req != nil {
		attrs = append(attrs, slog.String("method", req.Method), slog.String("uri", req.RequestURI), slog.String("proto", cs.proto))
	}
	if cs.upstream != "" {
		attrs = append(attrs, slog.String("upstream", cs.upstream))
	}
	p.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}
