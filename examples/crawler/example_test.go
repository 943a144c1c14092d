//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
)

// Example crawls the demo site, as `crawler -demo-pages 20 -depth 1` does
// (with no seed, the demo site is served on loopback), and prints the
// records' paths, statuses and link counts in order.
func Example() {
	c, err := parse([]string{"-demo-pages", "20", "-depth", "1"}, false)
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	if _, err := run(context.Background(), context.Background(), c, &out, io.Discard); err != nil {
		panic(err)
	}
	var lines []string
	for dec := json.NewDecoder(&out); dec.More(); {
		var r record
		if err := dec.Decode(&r); err != nil {
			panic(err)
		}
		u, _ := url.Parse(r.URL)
		lines = append(lines, fmt.Sprintf("%-6s depth %d  status %d  %2d links", u.Path, r.Depth, r.Status, r.Links))
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// /      depth 0  status 200   9 links
	// /p/1   depth 1  status 200   9 links
	// /p/13  depth 1  status 200   9 links
	// /p/14  depth 1  status 200   8 links
	// /p/4   depth 1  status 200   9 links
	// /p/6   depth 1  status 200  10 links
	// /p/7   depth 1  status 200   9 links
	// /p/8   depth 1  status 200  10 links
}
