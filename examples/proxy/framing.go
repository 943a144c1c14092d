//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"net/http"
)

// maxHeaderBytes bounds a request's line and headers; more gets 431.
const maxHeaderBytes = 16 << 10

// headerBufSize is the client reader's buffer: the whole header block must
// fit, so that checkFraming sees it before net/http parses it.
const headerBufSize = maxHeaderBytes + 512

// checkFraming looks at a request's raw header block (and, for a chunked
// body, its first chunk-size line) before net/http parses it, and returns
// 0 if it may go on, or the status to refuse it with: 431 for headers over
// the limit, 400 for the shapes that let two parsers disagree about where
// a request ends (request smuggling), which net/http tolerates or repairs
// but an upstream might read differently:
//
//   - both Content-Length and Transfer-Encoding (net/http drops the
//     length and reads chunks);
//   - obsolete line folding, a header line starting with a space or tab
//     (net/http joins it to the line above);
//   - whitespace or other non-token bytes in a header name
//     ("Transfer-Encoding : chunked", which net/http keeps as a header of
//     another name);
//   - more than one Content-Length or Transfer-Encoding line, or a
//     Transfer-Encoding other than "chunked";
//   - a first chunk size that is not plain hexadecimal digits.
//
// It reads nothing: every byte stays in br for http.ReadRequest. It may
// wait for bytes of the header block and of the first chunk line (under
// the caller's read deadline).
func checkFraming(br *bufio.Reader) (status int, why string) {
	// The header block, up to the blank line.
	var block []byte
	for n := max(br.Buffered(), 1); ; n = br.Buffered() + 1 {
		if n > br.Size() {
			return http.StatusRequestHeaderFieldsTooLarge, "request headers too large"
		}
		b, err := br.Peek(n)
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			block = b[:i+4]
			break
		}
		if err != nil {
			return http.StatusBadRequest, "incomplete request"
		}
		if len(b) > maxHeaderBytes {
			return http.StatusRequestHeaderFieldsTooLarge, "request headers too large"
		}
	}
	cl, te, expect := 0, 0, false
	chunked := false
	rest := block[bytes.Index(block, []byte("\r\n"))+2 : len(block)-2] // the header lines, each ending in CRLF
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("\r\n"))
		line := rest[:i]
		rest = rest[i+2:]
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return http.StatusBadRequest, "obsolete line folding"
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return http.StatusBadRequest, "malformed header line"
		}
		name := line[:colon]
		for _, c := range name {
			if !isTokenByte(c) {
				return http.StatusBadRequest, "invalid byte in a header name"
			}
		}
		value := bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			cl++
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			te++
			if !bytes.EqualFold(value, []byte("chunked")) {
				return http.StatusBadRequest, "unsupported Transfer-Encoding"
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Expect")):
			expect = true
		}
	}
	switch {
	case cl > 0 && te > 0:
		return http.StatusBadRequest, "both Content-Length and Transfer-Encoding"
	case cl > 1 || te > 1:
		return http.StatusBadRequest, "repeated Content-Length or Transfer-Encoding"
	}
	if !chunked || expect {
		// A client that expects 100-continue sends its body later.
		return 0, ""
	}
	// The first chunk-size line: hex digits, then an optional extension.
	for n := len(block) + 1; ; n++ {
		if n > br.Size() {
			return http.StatusBadRequest, "chunk size line too long"
		}
		b, err := br.Peek(n)
		rest := b[len(block):]
		if i := bytes.Index(rest, []byte("\r\n")); i >= 0 {
			size := rest[:i]
			if j := bytes.IndexByte(size, ';'); j >= 0 {
				size = size[:j]
			}
			if len(size) == 0 || len(size) > 16 {
				return http.StatusBadRequest, "invalid chunk size"
			}
			for _, c := range size {
				if !isHex(c) {
					return http.StatusBadRequest, "invalid chunk size"
				}
			}
			return 0, ""
		}
		if err != nil {
			return http.StatusBadRequest, "incomplete chunk size"
		}
	}
}

// isTokenByte reports whether c may appear in a header name (RFC 9110
// token characters).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
