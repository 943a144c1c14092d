// Package demosite generates a web site for the crawler to crawl: a few
// hundred interlinked HTML pages whose link structure is a pure function of
// a seed, with the traps a crawler must handle. It is what
// `go run ./examples/crawler` crawls when given no seed, what the
// crawler's tests check the exact set of fetched URLs against, and what the
// benchmark (bench/crawler) serves to weft's crawler and to colly alike.
//
// # The site
//
// The home page is "/" and the other pages are "/p/1" to "/p/N-1". Each page
// links to Options.Links pages chosen by a seeded generator (the next page
// always among them, so every page is reachable), which makes cycles, and
// writes each link in one of several forms that all name the same page:
// an absolute path, a path relative to the page, one with dot-segments
// ("/zz/../p/7", "./7"), one with a fragment, an absolute URL, an absolute
// URL in mixed case ("HtTp://HOST/p/7"), and a path padded with whitespace
// (which HTML strips). Around them, links a
// crawler must not follow or must not fetch twice: "mailto:" and
// "javascript:" links, a fragment of the page itself, a link to a host that
// does not exist (example.invalid), a <link> element, an <a> without href.
//
// Besides the pages, the site has:
//
//   - /robots.txt: "User-agent: *", Disallow /private/, Allow /private/open;
//   - /r/N: a 301 redirect to page N; /redir/K/N: a chain of K (1 to 3) 302
//     redirects ending at page N; /loop/a and /loop/b: a redirect loop;
//     /r/private: a redirect to a disallowed page; /r/away: a redirect to
//     another host;
//   - /missing/N: 404; /error: 500 (both with a link in their body that a
//     crawler must not follow: only 2xx HTML is parsed);
//   - /private/N (disallowed by robots.txt) and /private/open (allowed);
//   - /files/report.pdf, /files/logo.png and /files/notes.txt: non-HTML
//     files (the text file holds an <a href> that must not be followed);
//   - /base/: a page with <base href="/p/"> whose relative links resolve
//     against it;
//   - /malformed: broken HTML (unquoted and upper-case attributes, unclosed
//     tags, a link in a comment and one in a script);
//   - /trap/...: pages that no correct crawler reaches; they are served
//     with 200 so that a crawler that does reach them is seen doing so.
//
// Some pages are sent gzip-encoded (to clients that accept gzip), some
// chunked. A page's size is about Options.PageBytes.
//
// # Correctness
//
// URLs returns the exact set of paths a correct crawler fetches from "/"
// to a given depth, obeying robots.txt and staying on the host; see its
// documentation for what "correct" means in detail.
package demosite
