//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/weftio/weft/netpoll"
)

// A request is one GET the coordinator hands to a loop's client.
type request struct {
	url    string // normalised
	robots bool   // robots.txt: the body is kept, not parsed, redirects followed here
}

// A response is what came of a request.
type response struct {
	status    int
	location  string // a redirect's target, normalised; "" if none
	ctype     string
	bytes     int64 // body bytes read (decoded, for a gzip body)
	truncated bool  // the body was longer than -max-body and was cut
	html      bool  // parsed for links
	links     []string
	body      []byte // robots.txt only
	took      time.Duration
	err       error
}

// A client is one loop's HTTP/1.1 client: kept-alive connections per
// origin, used by the loop's fibers only (no lock).
type client struct {
	ua      string
	timeout time.Duration
	maxBody int64
	tlsBase *tls.Config
	tlsFor  map[string]*tls.Config // per server name
	idle    map[string][]*hconn    // per origin
	maxIdle int
	gzFree  []*gzip.Reader // for reuse: fibers of the loop read several bodies at once
}

// hconn is a connection to an origin, TLS or not.
type hconn struct {
	nc *netpoll.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newClient(c *config, roots *tls.Config) *client {
	return &client{
		ua: c.userAgent, timeout: c.timeout, maxBody: c.maxBody, tlsBase: roots,
		tlsFor: map[string]*tls.Config{}, idle: map[string][]*hconn{}, maxIdle: c.perHost,
	}
}

// closeIdle closes the kept-alive connections.
func (cl *client) closeIdle() {
	for o, list := range cl.idle {
		for _, hc := range list {
			hc.nc.Close()
		}
		delete(cl.idle, o)
	}
}

// getReq is what http.ReadResponse is told the request was.
var getReq = &http.Request{Method: http.MethodGet}

// errTimeout marks a request that did not finish within -timeout.
var errTimeout = errors.New("timeout")

// fetch performs rq from the calling fiber of the client's loop, within
// -timeout from start to the end of the body. A kept-alive connection that
// turns out closed by the server is replaced once.
func (cl *client) fetch(ctx context.Context, rq request) (res response) {
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	u, err := url.Parse(rq.url)
	if err != nil {
		return response{err: err}
	}
	deadline := start.Add(cl.timeout)
	for redirects := 0; ; redirects++ {
		res = cl.exchange(ctx, u, deadline, rq.robots)
		if res.err != nil && errors.Is(res.err, os.ErrDeadlineExceeded) {
			res.err = fmt.Errorf("%w: no complete response within %v (-timeout): %w", errTimeout, cl.timeout, res.err)
		}
		if !rq.robots || res.location == "" || redirects == 5 {
			return res
		}
		// robots.txt: RFC 9309 asks for five redirects to be followed.
		if u, err = url.Parse(res.location); err != nil {
			return response{err: err}
		}
	}
}

// exchange sends one GET and reads its response.
func (cl *client) exchange(ctx context.Context, u *url.URL, deadline time.Time, robots bool) response {
	origin := u.Scheme + "://" + u.Host
	for attempt := 0; ; attempt++ {
		hc, reused, err := cl.conn(ctx, u, origin, deadline, attempt > 0)
		if err != nil {
			return response{err: err}
		}
		hc.nc.SetDeadline(deadline)
		fmt.Fprintf(hc.bw, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Encoding: gzip\r\n\r\n",
			u.RequestURI(), u.Host, cl.ua)
		err = hc.bw.Flush()
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(hc.br, getReq)
		}
		if err != nil {
			hc.nc.Close()
			if reused && attempt == 0 && stale(err) {
				continue // the server had closed the idle connection: a new one
			}
			return response{err: err}
		}
		res, keep := cl.body(resp, u, robots)
		if keep && !resp.Close && len(cl.idle[origin]) < cl.maxIdle && ctx.Err() == nil {
			hc.nc.SetDeadline(time.Time{})
			cl.idle[origin] = append(cl.idle[origin], hc)
		} else {
			hc.nc.Close()
		}
		return res
	}
}

// stale reports whether err is how a kept-alive connection the server has
// closed fails: nothing came back, or the write was refused.
func stale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// conn returns an idle connection to origin (unless fresh), or dials one
// (and, for https, makes the TLS handshake) within the deadline.
func (cl *client) conn(ctx context.Context, u *url.URL, origin string, deadline time.Time, fresh bool) (*hconn, bool, error) {
	if idle := cl.idle[origin]; len(idle) > 0 && !fresh {
		hc := idle[len(idle)-1]
		cl.idle[origin] = idle[:len(idle)-1]
		return hc, true, nil
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	wait := time.Until(deadline)
	if wait <= 0 {
		return nil, false, os.ErrDeadlineExceeded
	}
	nc, err := netpoll.Dial(ctx, "tcp", net.JoinHostPort(u.Hostname(), port), netpoll.WithDialTimeout(wait))
	if err != nil {
		return nil, false, err
	}
	var c net.Conn = nc
	if u.Scheme == "https" {
		// crypto/tls over the fiber connection, unchanged. Handshake (not
		// HandshakeContext, which would start a goroutine to watch the
		// context) is bounded by the deadline, and woken by the fiber's
		// context like any Read.
		tc := tls.Client(nc, cl.tlsConfig(u.Hostname()))
		nc.SetDeadline(deadline)
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, false, err
		}
		c = tc
	}
	return &hconn{nc: nc, br: bufio.NewReaderSize(c, 4<<10), bw: bufio.NewWriterSize(c, 1<<10)}, false, nil
}

// tlsConfig is the TLS configuration for a server name.
func (cl *client) tlsConfig(name string) *tls.Config {
	if cfg := cl.tlsFor[name]; cfg != nil {
		return cfg
	}
	cfg := cl.tlsBase.Clone()
	cfg.ServerName = name
	cfg.NextProtos = []string{"http/1.1"}
	cl.tlsFor[name] = cfg
	return cfg
}

// body reads resp's body: links extracted from 2xx HTML, robots.txt kept,
// everything else counted and dropped, all of it cut at -max-body. keep
// reports whether the connection may serve another request.
func (cl *client) body(resp *http.Response, u *url.URL, robots bool) (res response, keep bool) {
	res.status = resp.StatusCode
	res.ctype = resp.Header.Get("Content-Type")
	if loc := resp.Header.Get("Location"); loc != "" && isRedirect(resp.StatusCode) {
		if n, ok := normalize(u, loc); ok {
			res.location = n
		} else {
			res.err = fmt.Errorf("redirect to %q, which the crawler cannot fetch", loc)
		}
	}
	limit := cl.maxBody
	if robots {
		limit = min(limit, robotsMaxBytes)
	}
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := cl.gunzip(resp.Body)
		if err != nil {
			res.err = fmt.Errorf("gzip: %w", err)
			return res, false
		}
		defer func() { cl.gzFree = append(cl.gzFree, zr) }()
		r = zr
	}
	lr := &limitReader{r: r, n: limit}
	var err error
	switch {
	case robots && res.status/100 == 2:
		res.body, err = io.ReadAll(lr)
	case res.status/100 == 2 && cl.isHTML(&res, lr):
		res.html = true
		res.links, err = extract(lr, u)
	default:
		_, err = io.Copy(io.Discard, lr)
	}
	res.bytes, res.truncated = lr.read, lr.cut
	if err != nil && res.err == nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			res.err = err
		} else {
			res.err = fmt.Errorf("reading the body: %w", err)
		}
	}
	if res.err != nil || res.truncated {
		return res, false
	}
	if r != resp.Body {
		// The gzip stream has ended; the HTTP body must end there too.
		if n, _ := io.CopyN(io.Discard, resp.Body, 1); n > 0 {
			return res, false
		}
	}
	return res, true
}

// gunzip returns a gzip reader of body, reusing a free one of the loop's.
func (cl *client) gunzip(body io.Reader) (*gzip.Reader, error) {
	if n := len(cl.gzFree); n > 0 {
		zr := cl.gzFree[n-1]
		cl.gzFree = cl.gzFree[:n-1]
		if err := zr.Reset(body); err != nil {
			cl.gzFree = append(cl.gzFree, zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(body)
}

// isHTML reports whether a 2xx body is HTML, from its Content-Type or,
// without one, from its first bytes (which lr then gives back first).
func (cl *client) isHTML(res *response, lr *limitReader) bool {
	if res.ctype == "" {
		head := make([]byte, 512)
		n, _ := io.ReadFull(lr, head)
		res.ctype = http.DetectContentType(head[:n])
		lr.unread(head[:n])
	}
	mt, _, err := mime.ParseMediaType(res.ctype)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(res.ctype, ";", 2)[0]))
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// limitReader reads at most n bytes of r, and then finds out whether r had
// more (cut).
type limitReader struct {
	r    io.Reader
	n    int64 // left
	read int64
	cut  bool
	back []byte // given back by unread, read first
}

func (l *limitReader) Read(p []byte) (int, error) {
	if len(l.back) > 0 {
		n := copy(p, l.back)
		l.back = l.back[n:]
		return n, nil
	}
	if l.n <= 0 {
		if !l.cut {
			var one [1]byte
			if n, _ := io.ReadFull(l.r, one[:]); n > 0 {
				l.cut = true
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	l.read += int64(n)
	return n, err
}

// unread gives b, the last bytes read, back to be read again.
func (l *limitReader) unread(b []byte) {
	l.back = bytes.Clone(b)
}
