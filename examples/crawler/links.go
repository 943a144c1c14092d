//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// normalize resolves ref against base and returns the URL in the form the
// crawler dedupes on: scheme and host lower-cased, the default port
// dropped, dot-segments resolved, an empty path made "/", the fragment and
// an empty query dropped. ok is false for what the crawler does not fetch:
// a reference that does not parse, or a scheme other than http and https
// (mailto:, javascript:, ftp:...). ref is an attribute value as HTML gives
// it: leading and trailing whitespace is stripped, and tabs and newlines
// inside it removed, as a browser does.
func normalize(base *url.URL, ref string) (string, bool) {
	ref = strings.Trim(ref, " \t\n\f\r\x00")
	if strings.ContainsAny(ref, "\t\n\r") {
		ref = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(ref)
	}
	u, err := base.Parse(ref) // RFC 3986 resolution: dot-segments removed
	if err != nil {
		return "", false
	}
	return canonical(u)
}

// canonical puts an absolute URL in normal form (see normalize).
func canonical(u *url.URL) (string, bool) {
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (p == "80" && u.Scheme == "http") || (p == "443" && u.Scheme == "https") {
		host = host[:len(host)-len(p)-1]
	} else if strings.HasSuffix(host, ":") { // an empty port
		host = host[:len(host)-1]
	}
	if host == "" || host == "[]" {
		return "", false
	}
	// User information is dropped: credentials are not followed.
	v := url.URL{Scheme: u.Scheme, Host: host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if v.Path == "" {
		v.Path = "/"
	}
	return v.String(), true
}

// parseSeed checks and normalises a seed URL given on the command line.
func parseSeed(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want an http:// or https:// URL")
	}
	if u.Host == "" {
		return "", errors.New("no host")
	}
	n, ok := canonical(new(url.URL).ResolveReference(u))
	if !ok {
		return "", errors.New("not a URL the crawler can fetch")
	}
	return n, nil
}

// originOf splits a normalised URL into its origin (scheme://host[:port])
// and the rest (the path and query a request sends).
func originOf(u string) (origin, rest string) {
	i := strings.Index(u, "://")
	j := strings.IndexByte(u[i+3:], '/')
	if j < 0 {
		return u, "/"
	}
	return u[:i+3+j], u[i+3+j:]
}

// pathOf returns the path and query of a normalised URL.
func pathOf(u string) string {
	_, p := originOf(u)
	return p
}

// hostOf returns the host[:port] of a normalised URL or origin.
func hostOf(u string) string {
	o, _ := originOf(u)
	return o[strings.Index(o, "://")+3:]
}

// extract reads an HTML document from r with x/net/html's tokenizer (not a
// parser: no tree is built) and returns the hrefs of its <a> elements in
// document order, resolved against the document's URL, or against the
// first <base href> if it has one, and normalised; repeats are removed.
// Text inside comments, <script>, <style> and the other raw-text elements
// is not markup, so links there are not seen, as in a browser. The error is
// the reader's, if it failed before the end.
func extract(r io.Reader, docURL *url.URL) ([]string, error) {
	z := html.NewTokenizer(r)
	var hrefs []string
	var base string
	haveBase := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				return nil, err
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, more := z.TagName()
		isA := len(name) == 1 && name[0] == 'a'
		if !more || !isA && (haveBase || !bytes.Equal(name, []byte("base"))) {
			continue
		}
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			if string(k) == "href" { // the first one counts, as in a browser
				if isA {
					hrefs = append(hrefs, string(v))
				} else {
					base, haveBase = string(v), true
				}
				break
			}
		}
	}
	against := docURL
	if haveBase {
		if b, err := docURL.Parse(strings.TrimSpace(base)); err == nil && (b.Scheme == "http" || b.Scheme == "https") {
			against = b
		}
	}
	links := make([]string, 0, len(hrefs))
	seen := make(map[string]struct{}, len(hrefs))
	for _, h := range hrefs {
		n, ok := normalize(against, h)
		if !ok {
			continue
		}
		if _, dup := seen[n]; !dup {
			seen[n] = struct{}{}
			links = append(links, n)
		}
	}
	return links, nil
}
