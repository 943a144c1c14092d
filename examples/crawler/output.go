//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

// A record is the JSON line written for each request (robots.txt aside):
// FinalURL is where the response leads, the URL itself or, for a
// redirect, its Location.
type record struct {
	URL         string  `json:"url"`
	FinalURL    string  `json:"final_url"`
	Status      int     `json:"status"`
	Depth       int     `json:"depth"`
	Bytes       int64   `json:"bytes"`
	ContentType string  `json:"content_type"`
	Links       int     `json:"links"`
	Error       string  `json:"error"`
	MS          float64 `json:"ms"`
	Truncated   bool    `json:"truncated"`
}

// output writes records from the coordinator's loop without blocking it:
// write appends a line to a buffer, and a fiber hands what has gathered to
// the offload pool to write (so a slow reader of stdout slows nothing but
// that fiber, and lines written while it waits go out in one write).
type output struct {
	w       io.Writer
	buf     []byte
	spare   []byte
	writing bool
	closed  bool
	ev      wsync.Event // buf has lines, or closed
	drained wsync.Cond  // buf empty and nothing being written
	err     error
	onErr   func(error)
}

// openOutput opens -out (appended to when resuming a crawl), or returns
// stdout for "" and "-".
func openOutput(ctx context.Context, path string, stdout io.Writer, resume bool) (io.Writer, func(), error) {
	if path == "" || path == "-" {
		return stdout, func() {}, nil
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if resume {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := fiber.Blocking(ctx, func(context.Context) (*os.File, error) { return os.OpenFile(path, flag, 0o644) })
	if err != nil {
		return nil, nil, fmt.Errorf("-out: %w", err)
	}
	return f, func() { f.Close() }, nil
}

func newOutput(w io.Writer, onErr func(error)) *output {
	return &output{w: w, onErr: onErr}
}

// run is the writing fiber; it returns once closed and drained.
func (o *output) run(ctx context.Context) (struct{}, error) {
	ctx = context.WithoutCancel(ctx) // a write, once begun, is finished
	for {
		if len(o.buf) == 0 {
			o.drained.Broadcast()
			if o.closed {
				return struct{}{}, nil
			}
			o.ev.Clear()
			o.ev.Wait(ctx)
			continue
		}
		b := o.buf
		o.buf, o.writing = o.spare[:0], true
		_, err := fiber.Blocking(ctx, func(context.Context) (int, error) { return o.w.Write(b) })
		o.spare, o.writing = b[:0], false
		if err != nil && o.err == nil {
			o.err = err
			o.onErr(err)
		}
	}
}

// write queues r's line. After a failed write, lines are dropped.
func (o *output) write(r *record) {
	if o.err != nil {
		return
	}
	line, _ := json.Marshal(r) // strings and numbers only: cannot fail
	o.buf = append(append(o.buf, line...), '\n')
	o.ev.Set()
}

// flush waits until every line queued so far is written.
func (o *output) flush(ctx context.Context) error {
	for len(o.buf) > 0 || o.writing {
		o.drained.Wait(ctx)
	}
	return o.err
}

// close lets run return once the lines queued are written.
func (o *output) close() {
	o.closed = true
	o.ev.Set()
}

// clearLine erases the rest of a terminal's line (ANSI), after a "\r".
const clearLine = "\x1b[K"

// writeErr writes s to w (stderr) on the offload pool.
func writeErr(ctx context.Context, w io.Writer, s string) {
	fiber.Blocking(ctx, func(context.Context) (int, error) { return io.WriteString(w, s) })
}

// progress refreshes the progress line twice a second until ctx ends.
func (cr *crawler) progress(ctx context.Context) (struct{}, error) {
	prev, prevAt := cr.st.Pages, time.Now()
	for fiber.Sleep(ctx, 500*time.Millisecond) == nil {
		now := time.Now()
		rate := float64(cr.st.Pages-prev) / now.Sub(prevAt).Seconds()
		prev, prevAt = cr.st.Pages, now
		line := fmt.Sprintf("\rpages %d  errors %d  %.0f/s  queued %d  in flight %d%s",
			cr.st.Pages, cr.st.Failed+cr.st.HTTPErrors, rate, max(cr.fr.left-cr.busy, 0), cr.busy, clearLine)
		writeErr(context.WithoutCancel(ctx), cr.stderr, line)
	}
	return struct{}{}, nil
}

// summary is the line printed at the end.
func (cr *crawler) summary() string {
	st := &cr.st
	var b strings.Builder
	secs := st.Elapsed.Seconds()
	now := st.Pages - cr.pages0
	fmt.Fprintf(&b, "crawler: %d pages in %.2fs (%.0f pages/s)", now, secs, float64(now)/max(secs, 1e-9))
	if cr.pages0 > 0 {
		fmt.Fprintf(&b, ", %d with the runs before", st.Pages)
	}
	fmt.Fprintf(&b, ": %d ok, %d HTTP errors, %d failed, %d truncated; %d URLs disallowed by robots.txt; %d requests (%d for robots.txt)",
		st.OK, st.HTTPErrors, st.Failed, st.Truncated, st.Disallowed, st.Requests, st.Robots)
	if st.Interrupted {
		fmt.Fprintf(&b, "; interrupted with %d URLs left", st.Left)
	} else if st.Left > 0 {
		fmt.Fprintf(&b, "; %d URLs left (-max-pages)", st.Left)
	}
	if cr.c.state != "" {
		fmt.Fprintf(&b, "; checkpoint in %s", cr.c.state)
	}
	return b.String()
}
