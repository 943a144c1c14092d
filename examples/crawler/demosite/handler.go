package demosite

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Handler returns the site's handler, which serves it under "/" for any
// host: absolute links name the host and scheme of the request. It renders
// each response from the model URLs reads, so the two always agree.
func Handler(o Options) http.Handler {
	h := &handler{s: newSite(o)}
	h.pool.New = func() any { return new(bytes.Buffer) }
	h.gz.New = func() any {
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return zw
	}
	return h
}

type handler struct {
	s    *site
	pool sync.Pool // *bytes.Buffer
	gz   sync.Pool // *gzip.Writer
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := h.s.o.Latency; d > 0 {
		time.Sleep(d)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.RequestURI()
	n := h.s.node(path)
	hdr := w.Header()
	hdr.Set("Content-Type", n.ctype)
	if n.location != "" {
		hdr.Set("Location", n.location)
		w.WriteHeader(n.status)
		fmt.Fprintf(w, "<html><body><a href=\"%s\">moved</a></body></html>\n", n.location)
		return
	}
	buf := h.pool.Get().(*bytes.Buffer)
	buf.Reset()
	defer h.pool.Put(buf)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	page := h.s.pageIndex(path)
	h.s.render(buf, path, n, page, scheme, r.Host)
	body := buf.Bytes()
	switch {
	case page%4 == 1 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"):
		z := h.pool.Get().(*bytes.Buffer)
		z.Reset()
		defer h.pool.Put(z)
		zw := h.gz.Get().(*gzip.Writer) // a new one allocates about 1 MB
		zw.Reset(z)
		zw.Write(body)
		zw.Close()
		h.gz.Put(zw)
		hdr.Set("Content-Encoding", "gzip")
		hdr.Set("Vary", "Accept-Encoding")
		hdr.Set("Content-Length", strconv.Itoa(z.Len()))
		w.WriteHeader(n.status)
		w.Write(z.Bytes())
	case page%7 == 5:
		// No length: sent chunked, in two flushes.
		w.WriteHeader(n.status)
		half := len(body) / 2
		w.Write(body[:half])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		w.Write(body[half:])
	default:
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(n.status)
		w.Write(body)
	}
}

// render writes the body of path (node n; page is its page number or -1).
func (s *site) render(b *bytes.Buffer, path string, n node, page int, scheme, host string) {
	switch {
	case page >= 0:
		s.renderPage(b, page, scheme, host)
	case path == "/robots.txt":
		b.WriteString(robotsTxt)
	case path == "/files/report.pdf":
		b.WriteString("%PDF-1.4\n% not a real PDF, but not HTML either: <a href=\"/trap/pdf\">x</a>\n%%EOF\n")
	case path == "/files/logo.png":
		b.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR<a href=\"/trap/png\">\x00\x00")
	case path == "/files/notes.txt":
		b.WriteString("Plain text is not parsed for links, even one that looks like <a href=\"/trap/txt\">this</a>.\n")
	case path == "/base/":
		fmt.Fprintf(b, `<!DOCTYPE html>
<html><head><base href="/p/"><title>base</title></head>
<body><h1>A page with a base</h1>
<p>These links resolve against the base, /p/: <a href="%s">one</a>, <a href="./%s">two</a>,
<a href="../%s">three</a>, and <a href="/">home</a>.</p>
</body></html>
`, relative("/p/_", pagePath(1%s.o.Pages)), strings.TrimPrefix(relative("/p/_", pagePath(2%s.o.Pages)), "./"), pagePath(3 % s.o.Pages)[1:])
	case path == "/malformed":
		n := s.o.Pages
		p := func(k int) string { return pagePath(k % n) }
		fmt.Fprintf(b, `<html><head><title>malformed</title><body>
<p><a href=%s>unquoted</a>
<P><A HREF="%s">upper case</A>
<div><a href='%s'>single quotes<div>never closed
<!-- <a href="/trap/comment">in a comment</a> -->
<script>document.write('<a href="/trap/script">in a script</a>');</script>
<table><tr><td><a href="%s" href="/trap/dup">a repeated attribute
<a href = "%s" >spaces around the equals sign</a>
<a href="%s"><a href="/">nested</a></a>
&lt;a href="/trap/escaped"&gt; `+"\x00\xff\xfe"+`
<p>cut short <a href="/trap/eof`, p(4), p(5), p(6), p(7), p(8), p(9))
	case path == "/error":
		b.WriteString(`<html><body><h1>500</h1><p>Error pages are not parsed: <a href="/trap/500">x</a></p></body></html>`)
	case n.status == 404:
		b.WriteString(`<html><body><h1>404</h1><p>Error pages are not parsed: <a href="/trap/404">x</a></p></body></html>`)
	case path == "/private/open":
		fmt.Fprintf(b, `<html><body><p>Allowed by robots.txt. <a href="/">home</a> <a href="%s">next</a></p></body></html>`, pagePath(1%s.o.Pages))
	case strings.HasPrefix(path, "/private/"):
		b.WriteString(`<html><body><p>Disallowed by robots.txt. <a href="/trap/private">x</a></p></body></html>`)
	default:
		b.WriteString(`<html><body><p>A trap: a correct crawler never gets here.</p></body></html>`)
	}
}

// words fill pages up to their size.
var words = strings.Fields(`weft loops fibers futures sockets files timers
crawler polite frontier queue robots redirect depth scope host domain page link
anchor base fragment segment gzip chunk body header status keep alive`)

// renderPage writes page i.
func (s *site) renderPage(b *bytes.Buffer, i int, scheme, host string) {
	self := pagePath(i)
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Page %d</title>\n", i)
	if i%5 == 0 {
		b.WriteString("<link rel=\"stylesheet\" href=\"/trap/css\">\n")
	}
	fmt.Fprintf(b, "</head><body>\n<h1 id=\"top\">Page %d</h1>\n", i)
	b.WriteString(`<nav><a href="#top">top</a> <a href="">this page</a> <a href="mailto:webmaster@example.invalid">mail</a> <a href="javascript:void(0)">script</a> <a name="anchor">no href</a></nav>` + "\n")
	filler := 0
	for k, j := range s.links[i] {
		target := pagePath(int(j))
		fmt.Fprintf(b, "<p>%s <a href=\"%s\">page %d</a> %s</p>\n",
			words[(i+k)%len(words)], s.form(s.forms[i][k], self, target, k, scheme, host), j, words[(i+k+1)%len(words)])
	}
	for _, p := range s.extra[i] {
		fmt.Fprintf(b, "<p>And <a href=\"%s\">%s</a>.</p>\n", p, p)
	}
	fmt.Fprintf(b, "<p>Elsewhere: <a href=\"http://example.invalid/%d\">another host</a>.</p>\n", i)
	for b.Len() < s.o.PageBytes-len("</body></html>\n") {
		b.WriteString("<p>")
		for range 12 {
			b.WriteString(words[filler%len(words)])
			b.WriteByte(' ')
			filler += i + 1
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body></html>\n")
}

// form writes a link from self to target in form f.
func (s *site) form(f uint8, self, target string, k int, scheme, host string) string {
	switch f {
	case formRelative:
		return relative(self, target)
	case formDots:
		return "/zz/.." + target
	case formDotRel:
		return "./" + strings.TrimPrefix(relative(self, target), "./")
	case formFragment:
		return target + "#s" + strconv.Itoa(k)
	case formAbsolute:
		return scheme + "://" + host + target
	case formMixedCase:
		return mixedCase(scheme) + "://" + mixedCase(host) + target
	case formSpaces:
		return " " + target + "\n"
	}
	return target
}

// relative is a reference from self's directory to target.
func relative(self, target string) string {
	dir := self[:strings.LastIndexByte(self, '/')+1]
	if rest, ok := strings.CutPrefix(target, dir); ok {
		if rest == "" {
			return "./"
		}
		return rest
	}
	return strings.Repeat("../", strings.Count(dir, "/")-1) + target[1:]
}

// mixedCase alternates the case of s's letters.
func mixedCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if i%2 == 0 && 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
