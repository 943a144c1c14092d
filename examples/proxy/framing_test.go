//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// smuggling are request shapes that let two HTTP parsers disagree about
// where a request ends; each must get 400 and never reach an upstream.
var smuggling = map[string]string{
	"CL and TE":           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"TE and CL":           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	"two CLs":             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"CL list":             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
	"obs-fold":            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
	"obs-fold TE":         "POST / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"space before colon":  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"TE not chunked":      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"TE list":             "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"chunk size sign":     "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
	"chunk size 0x":       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
	"chunk size overflow": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nhello\r\n0\r\n\r\n",
	"negative CL":         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"hex CL":              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello",
}

// TestHTTP_Smuggling sends each shape to the proxy and checks the 400 and
// that the upstream saw no request at all; then 431 for headers over the
// limit.
func TestHTTP_Smuggling(t *testing.T) {
	fdtest.Check(t)
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
	}))
	defer up.Close()
	addr := startProxy(t, config{upstreams: []string{up.Listener.Addr().String()}})
	status := func(raw string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, raw)
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	for name, raw := range smuggling {
		if got := status(raw); !strings.HasPrefix(got, "HTTP/1.1 400 ") {
			t.Errorf("%s: %q, want 400", name, got)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d smuggling shapes reached the upstream", n)
	}
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 20<<10) + "\r\n\r\n"
	if got := status(big); !strings.HasPrefix(got, "HTTP/1.1 431 ") {
		t.Errorf("20 KiB of headers: %q, want 431", got)
	}
	// And a well-formed chunked request still goes through.
	if got := status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200 ") {
		t.Errorf("a good chunked request: %q, want 200", got)
	}
}

// FuzzFraming feeds checkFraming arbitrary bytes. It must not panic or
// read anything, and what it lets through net/http must parse without
// the repairs that smuggling relies on: one framing, body as announced.
// Its seed corpus (the shapes above, good requests, and testdata) runs
// with the normal tests.
func FuzzFraming(f *testing.F) {
	for _, raw := range smuggling {
		f.Add([]byte(raw))
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), headerBufSize)
		status, _ := checkFraming(br)
		if br.Buffered() > 0 {
			b, _ := br.Peek(br.Buffered())
			if !bytes.Equal(b, data[:len(b)]) {
				t.Fatal("checkFraming changed what is buffered")
			}
		}
		if status != 0 {
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return // net/http refuses it itself: 400 in the proxy
		}
		if len(req.TransferEncoding) > 0 && req.ContentLength >= 0 {
			t.Fatalf("accepted with both framings: TE %v, CL %d", req.TransferEncoding, req.ContentLength)
		}
		if _, folded := req.Header["Transfer-Encoding"]; folded && len(req.TransferEncoding) == 0 {
			t.Fatal("accepted a Transfer-Encoding net/http did not apply")
		}
	})
}
