//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/testcert"
)

// TestTimeout: a page slower than -timeout is recorded with a timeout
// error after about -timeout, and the rest of the crawl goes on.
func TestTimeout(t *testing.T) {
	fdtest.Check(t)
	const timeout = 300 * time.Millisecond
	slowHeaders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done(): // the crawler gave up and closed
		case <-time.After(10 * time.Second):
		}
	})
	slowBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body><a href=/fast>x</a>")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	site := pages(map[string]string{"/": page("/slow", "/dribble", "/fast"), "/fast": page()})
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			slowHeaders(w, r)
		case "/dribble":
			slowBody(w, r)
		default:
			site.ServeHTTP(w, r)
		}
	}), nil)
	recs, _ := crawl(t, "-timeout", timeout.String(), s.url())
	m := byURL(t, recs)
	for _, p := range []string{"/slow", "/dribble"} {
		r := m[s.URL+p]
		if !strings.Contains(r.Error, "timeout") || r.MS < float64(timeout.Milliseconds())*0.9 || r.MS > 5000 {
			t.Errorf("%s: %+v, want a timeout error after about %v", p, r, timeout)
		}
	}
	if r := m[s.URL+"/fast"]; r.Status != 200 || r.Error != "" {
		t.Errorf("/fast: %+v", r)
	}
}

// TestMaxBody: a 50 MB page is cut at -max-body, marked truncated, and
// the links in the part read are followed; the connection is dropped
// rather than drained.
func TestMaxBody(t *testing.T) {
	fdtest.Check(t)
	const size, limit = 50 << 20, 1 << 20
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", fmt.Sprint(size))
			head := `<html><body><a href="/before">before the cut</a><p>`
			io.WriteString(w, head)
			filler := bytes.Repeat([]byte("0123456789abcdef"), 4096)
			left := size - len(head) - len(`<a href="/after">after</a>`)
			for left > 0 {
				n := min(left, len(filler))
				if _, err := w.Write(filler[:n]); err != nil {
					return // the crawler has gone
				}
				left -= n
			}
			io.WriteString(w, `<a href="/after">after</a>`)
		case "/before", "/after":
			io.WriteString(w, "<html></html>")
		case "/robots.txt":
			http.NotFound(w, r)
		}
	}), nil)
	recs, _ := crawl(t, "-max-body", fmt.Sprint(limit), s.url())
	m := byURL(t, recs)
	r := m[s.URL+"/"]
	if !r.Truncated || r.Bytes != limit || r.Error != "" || r.Links != 1 {
		t.Errorf("the 50 MB page: %+v, want truncated at %d bytes with 1 link", r, limit)
	}
	if _, ok := m[s.URL+"/before"]; !ok || len(m) != 2 {
		t.Errorf("records: %v, want / and /before", recs)
	}
}

// TestGzip: a gzip-encoded page is decoded: its links are found, and its
// size is the decoded size; -max-body applies to the decoded bytes.
func TestGzip(t *testing.T) {
	fdtest.Check(t)
	body := page("/a", "/b") + strings.Repeat(" ", 10000)
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			io.WriteString(w, "<html></html>")
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Error("the crawler does not ask for gzip")
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		io.WriteString(zw, body)
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/html")
		w.Write(z.Bytes())
	}), nil)
	recs, _ := crawl(t, s.url())
	m := byURL(t, recs)
	if r := m[s.URL+"/"]; r.Links != 2 || r.Bytes != int64(len(body)) || len(m) != 3 {
		t.Errorf("the gzip page: %+v (records %v)", r, recs)
	}
	recs, _ = crawl(t, "-max-body", "100", s.url())
	if r := byURL(t, recs)[s.URL+"/"]; !r.Truncated || r.Bytes != 100 {
		t.Errorf("the gzip page cut at 100 bytes: %+v", r)
	}
}

// TestHTTPS crawls an https seed whose certificate -ca trusts, over TLS
// on weft's fiber connections, and fails to without -ca.
func TestHTTPS(t *testing.T) {
	fdtest.Check(t)
	cert := testcert.New(t)
	s := serveTLS(t, pages(map[string]string{"/": page("/a", "b"), "/a": page("/"), "/b": page("/a")}), cert)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, cert.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, st := crawl(t, "-ca", ca, s.url())
	m := byURL(t, recs)
	if len(m) != 3 || st.OK != 3 || !strings.HasPrefix(s.URL, "https://") {
		t.Errorf("https crawl: %v", recs)
	}
	if got, twice := s.paths(); len(got) != 4 || len(twice) != 0 {
		t.Errorf("requests: %v", got)
	}
	// Without -ca, the certificate is not trusted: robots.txt cannot be
	// fetched, which RFC 9309 makes a complete disallow.
	recs, st = crawl(t, s.url())
	if len(recs) != 0 || st.Disallowed != 1 {
		t.Errorf("untrusted certificate: %v, %+v", recs, st)
	}
	recs, _ = crawl(t, "-robots=false", s.url())
	if len(recs) != 1 || !strings.Contains(recs[0].Error, "certificate") {
		t.Errorf("untrusted certificate: %v", recs)
	}
}

// serveTLS is serve with TLS.
func serveTLS(t testing.TB, h http.Handler, cert testcert.Cert) *server {
	s := &server{hits: map[string]int{}}
	s.Server = newUnstartedCounting(s, h)
	s.TLS = cert.Server
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// TestRedirectLimit: a chain longer than 10 redirects is given up after
// the 10th, having made 11 requests, each with its record at the depth of
// the link that started the chain; a redirect to a URL the crawler cannot
// fetch is an error.
func TestRedirectLimit(t *testing.T) {
	fdtest.Check(t)
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		switch {
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, page("/hop/12", "/hop/10x", "/ftp"))
		case r.URL.Path == "/ftp":
			http.Redirect(w, r, "ftp://example.invalid/", http.StatusFound)
		case r.URL.Path == "/end":
			io.WriteString(w, "<html></html>")
		case r.URL.Path == "/hop/10x":
			http.Redirect(w, r, "/", http.StatusTemporaryRedirect)
		default:
			if _, err := fmt.Sscanf(r.URL.Path, "/hop/%d", &n); err != nil {
				http.NotFound(w, r)
			} else if n == 0 {
				http.Redirect(w, r, "/end", http.StatusMovedPermanently)
			} else {
				http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			}
		}
	}), nil)
	recs, _ := crawl(t, s.url())
	m := byURL(t, recs)
	// The 11th request's redirect is the one refused.
	if r := m[s.URL+"/hop/2"]; r.Error != "stopped after 10 redirects" || r.FinalURL != s.URL+"/hop/1" || r.Status != 302 {
		t.Errorf("12 redirects: %+v", r)
	}
	for i := 2; i <= 12; i++ {
		u := fmt.Sprintf("/hop/%d", i)
		if n := s.count(u); n != 1 {
			t.Errorf("%s requested %d times, want once", u, n)
		}
		if r := m[s.URL+u]; r.Depth != 1 || r.Status != 302 || r.FinalURL != fmt.Sprintf("%s/hop/%d", s.URL, i-1) {
			t.Errorf("%s: %+v", u, r)
		}
	}
	// /hop/10x leads to the seed, crawled already: the chain ends there,
	// without an error and without asking again.
	if r := m[s.URL+"/hop/10x"]; r.Error != "" || r.FinalURL != s.URL+"/" || r.Status != 307 || s.count("/") != 1 {
		t.Errorf("a redirect to a URL crawled already: %+v", r)
	}
	if r := m[s.URL+"/ftp"]; !strings.Contains(r.Error, "cannot fetch") {
		t.Errorf("a redirect to ftp: %+v", r)
	}
	if s.count("/end") != 0 {
		t.Error("/end was reached")
	}
}

// TestNormalize checks the URL normal form that dedupes.
func TestNormalize(t *testing.T) {
	base, _ := url.Parse("http://Example.COM:80/a/b/page.html?q=1#top")
	for ref, want := range map[string]string{
		"":                              "http://example.com/a/b/page.html?q=1",
		"#frag":                         "http://example.com/a/b/page.html?q=1",
		"other":                         "http://example.com/a/b/other",
		"./other#x":                     "http://example.com/a/b/other",
		"../../../../x":                 "http://example.com/x",
		"/c/./d/../e":                   "http://example.com/c/e",
		"HTTP://EXAMPLE.com:80":         "http://example.com/",
		"HTTPS://Example.com:443/A/B":   "https://example.com/A/B",
		"https://example.com:8443/?":    "https://example.com:8443/",
		"http://example.com/a/../b/./c": "http://example.com/b/c",
		"  /spaced \n":                  "http://example.com/spaced",
		"/with\ttab":                    "http://example.com/withtab",
		"//other.org/x":                 "http://other.org/x",
		"?q=2":                          "http://example.com/a/b/page.html?q=2",
		"/%7Euser":                      "http://example.com/%7Euser",
	} {
		got, ok := normalize(base, ref)
		if !ok || got != want {
			t.Errorf("normalize(%q) = %q, %v; want %q", ref, got, ok, want)
		}
	}
	for _, ref := range []string{"mailto:a@b.c", "javascript:void(0)", "ftp://x/", "http://", "http:opaque", "http://[::1"} {
		if got, ok := normalize(base, ref); ok {
			t.Errorf("normalize(%q) = %q, want it refused", ref, got)
		}
	}
}

// TestExtract checks link extraction on HTML no parser would accept.
func TestExtract(t *testing.T) {
	doc := `<html><head><base target=_blank><base href="/base/"><base href="/ignored/"></head><body>
<a href=rel>unquoted</a> <A HREF="/upper">x</A> <a href='single'>x <a href="#frag">x
<!-- <a href="/comment"> --> <script>x = '<a href="/script">'</script> <style>a[href="/style"]{}</style>
<a href="dup" href="/second">x</a> <a name=x>x</a> <a href>empty</a> <link href="/link">
<textarea><a href="/textarea"></textarea> <a href="rel">again</a>
<a href="/unterminated`
	u, _ := url.Parse("http://h/dir/doc")
	links, err := extract(strings.NewReader(doc), u)
	// "#frag" and the empty href resolve against the base too.
	want := []string{"http://h/base/rel", "http://h/upper", "http://h/base/single", "http://h/base/", "http://h/base/dup"}
	if err != nil || !slices.Equal(links, want) {
		t.Errorf("extract = %q, %v\nwant %q", links, err, want)
	}
}

// TestSniff: a body without a Content-Type is sniffed, as a browser does:
// HTML is parsed for links, anything else is not.
func TestSniff(t *testing.T) {
	fdtest.Check(t)
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no Content-Type at all
		switch r.URL.Path {
		case "/":
			io.WriteString(w, "<!DOCTYPE html><html><body><a href=/text>text</a><a href=/bin>bin</a></body></html>")
		case "/text":
			io.WriteString(w, "plain text with <a href=/trap> in it, long after its start: "+strings.Repeat("x", 600))
		case "/bin":
			w.Write([]byte{0, 1, 2, 3, '<', 'a', ' ', 'h', 'r', 'e', 'f', '=', '/', 't', 'r', 'a', 'p', '>'})
		default:
			http.NotFound(w, r)
		}
	}), nil)
	recs, _ := crawl(t, s.url())
	m := byURL(t, recs)
	if r := m[s.URL+"/"]; r.Links != 2 || !strings.HasPrefix(r.ContentType, "text/html") {
		t.Errorf("sniffed HTML: %+v", r)
	}
	for _, p := range []string{"/text", "/bin"} {
		if r := m[s.URL+p]; r.Links != 0 || strings.HasPrefix(r.ContentType, "text/html") || r.Bytes == 0 {
			t.Errorf("%s: %+v", p, r)
		}
	}
	if s.count("/trap") != 0 {
		t.Error("a link in a body that is not HTML was followed")
	}
}

// TestGzipInterleaved reads many large gzip bodies at once, sent slowly so
// that the fibers reading them park in the middle and take turns on their
// loops: each is decoded whole (its last link is found).
func TestGzipInterleaved(t *testing.T) {
	fdtest.Check(t)
	const pagesN = 40
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 32<<10)
	for i := range noise {
		noise[i] = byte('a' + rnd.IntN(26)) // compresses to about 60 %
	}
	var home []string
	for i := range pagesN {
		home = append(home, fmt.Sprintf("/g/%d", i))
	}
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			io.WriteString(w, page(home...))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/g/") {
			io.WriteString(w, "<html></html>")
			return
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		fmt.Fprintf(zw, "<html><body><!-- %s --><a href=%q>end</a></body></html>", noise, r.URL.Path+"/end")
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/html")
		b := z.Bytes()
		for len(b) > 0 {
			n := min(len(b), 2048)
			w.Write(b[:n])
			w.(http.Flusher).Flush()
			b = b[n:]
			time.Sleep(time.Millisecond)
		}
	}), nil)
	recs, _ := crawl(t, "-per-host", "8", "-loops", "1", s.url())
	m := byURL(t, recs)
	for _, p := range home {
		if r := m[s.URL+p]; r.Error != "" || r.Links != 1 {
			t.Errorf("%s: %+v", p, r)
		}
		if _, ok := m[s.URL+p+"/end"]; !ok {
			t.Errorf("%s/end was not reached", p)
		}
	}
}
