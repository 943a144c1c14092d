//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
)

// The proxy parses with net/http (ReadRequest, ReadResponse) but writes
// the messages it forwards itself: Request.Write and Response.Write sort
// the headers, format with fmt and build a transfer writer per message,
// 13 % of the proxy's CPU per request in a perf profile taken by hand
// (docs/proxy.md says how), and they speak for a
// client or a server, not a proxy (Request.Write adds Go's User-Agent to a
// request that had none; Response.Write echoes the upstream's version and
// would send a chunked body to an HTTP/1.0 client). What is written here is
// the message as parsed, minus what removeHop took out, in HTTP/1.1 (a
// proxy sends its own version, RFC 9110 §6.2), framed anew: a body of
// known length with Content-Length, any other as chunks, or, to an
// HTTP/1.0 client, delimited by closing the connection.

// writeRequest writes req, head and body, as HTTP/1.1 to w (not flushed).
// req comes from http.ReadRequest, with its hop-by-hop headers removed.
func writeRequest(w *bufio.Writer, req *http.Request) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.URL.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	writeHeader(w, req.Header)
	chunked := len(req.TransferEncoding) > 0
	switch {
	case chunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
		writeTrailerNames(w, req.Trailer)
	case req.ContentLength > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		writeLength(w, req.ContentLength)
	}
	w.WriteString("\r\n")
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	return writeBody(w, req.Body, req.ContentLength, chunked, req.Trailer)
}

// writeResponse writes resp, head and body, as HTTP/1.1 to w (not
// flushed), for a request with the given method and protocol; close adds
// "Connection: close". It reports whether the client connection must close
// after it (a body of unknown length to an HTTP/1.0 client ends at the
// close).
func writeResponse(w *bufio.Writer, resp *http.Response, req *http.Request, close bool) (mustClose bool, err error) {
	w.WriteString("HTTP/1.1 ")
	if statusOf(resp.Status) == resp.StatusCode {
		w.WriteString(resp.Status) // as the upstream gave it, reason included
	} else {
		var b [3]byte
		w.Write(strconv.AppendInt(b[:0], int64(resp.StatusCode), 10))
		w.WriteByte(' ')
		w.WriteString(http.StatusText(resp.StatusCode))
	}
	w.WriteString("\r\n")
	// A response without a body (to HEAD, 1xx, 204, 304) keeps the
	// Content-Length the upstream sent: it describes the entity.
	noBody := req.Method == http.MethodHead || resp.StatusCode < 200 || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified
	if noBody {
		if cl := resp.Header["Content-Length"]; len(cl) > 0 {
			w.WriteString("Content-Length: ")
			w.WriteString(cl[0])
			w.WriteString("\r\n")
		}
	}
	writeHeader(w, resp.Header)
	chunked := false
	switch {
	case noBody:
	case resp.ContentLength >= 0 && len(resp.TransferEncoding) == 0:
		writeLength(w, resp.ContentLength)
	case req.ProtoAtLeast(1, 1):
		chunked = true
		w.WriteString("Transfer-Encoding: chunked\r\n")
		writeTrailerNames(w, resp.Trailer)
	default:
		mustClose = true
	}
	if close || mustClose {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	if noBody {
		return mustClose, nil
	}
	return mustClose, writeBody(w, resp.Body, resp.ContentLength, chunked, resp.Trailer)
}

// statusOf is the code at the head of a status ("200 OK"), or -1: read in
// place, as writeResponse runs for every response.
func statusOf(status string) int {
	if len(status) < 4 || status[3] != ' ' {
		return -1
	}
	code := 0
	for _, c := range []byte(status[:3]) {
		if c < '0' || c > '9' {
			return -1
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// writeHeader writes h's fields except the framing ones, which the
// writers above set themselves. A CR or LF in a value (net/http's parsers
// let none through; this is for the values the proxy adds) becomes a space.
func writeHeader(w *bufio.Writer, h http.Header) {
	for k, vs := range h {
		if k == "Content-Length" || k == "Transfer-Encoding" {
			continue
		}
		for _, v := range vs {
			w.WriteString(k)
			w.WriteString(": ")
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
}

func writeLength(w *bufio.Writer, n int64) {
	var b [20]byte
	w.WriteString("Content-Length: ")
	w.Write(strconv.AppendInt(b[:0], max(n, 0), 10))
	w.WriteString("\r\n")
}

// writeTrailerNames announces the trailer fields a chunked body ends with.
func writeTrailerNames(w *bufio.Writer, t http.Header) {
	if len(t) == 0 {
		return
	}
	w.WriteString("Trailer: ")
	first := true
	for k := range t {
		if !first {
			w.WriteString(", ")
		}
		first = false
		w.WriteString(k)
	}
	w.WriteString("\r\n")
}

// copyBufs are the buffers of chunked copies (a bufio.Writer reads a body
// of known length into its own buffer).
var copyBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// writeBody copies body to w: n bytes exactly (n >= 0), or as chunks
// ending with the trailer, or (neither) until EOF.
func writeBody(w *bufio.Writer, body io.Reader, n int64, chunked bool, trailer http.Header) error {
	if !chunked && n >= 0 {
		m, err := io.Copy(w, io.LimitReader(body, n))
		if err == nil && m < n {
			err = fmt.Errorf("body ended after %d of %d bytes: %w", m, n, io.ErrUnexpectedEOF)
		}
		return err
	}
	dst := io.Writer(w)
	var cw io.WriteCloser
	if chunked {
		cw = httputil.NewChunkedWriter(w)
		dst = cw
	}
	buf := copyBufs.Get().(*[32 << 10]byte)
	_, err := io.CopyBuffer(dst, struct{ io.Reader }{body}, buf[:])
	copyBufs.Put(buf)
	if err != nil || !chunked {
		return err
	}
	if err := cw.Close(); err != nil { // the last chunk, 0
		return err
	}
	writeHeader(w, trailer) // filled in by now: the body was read to its end
	_, err = w.WriteString("\r\n")
	return err
}
