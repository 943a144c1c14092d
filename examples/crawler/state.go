//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	"github.com/weftio/weft/fiber"
)

// stateVersion is the checkpoint format's version; a file of another
// version is refused.
const stateVersion = 1

// A snapshot is the checkpoint (-state): the seeds, every URL known with
// its depth and state, the robots.txt rules fetched and the counters.
// URLs are in the order they were found, so a resumed crawl goes on in the
// same order.
type snapshot struct {
	Version int               `json:"version"`
	Seeds   []string          `json:"seeds"`
	Started int64             `json:"started"`
	Stats   stats             `json:"stats"`
	URLs    []snapURL         `json:"urls"`
	Robots  map[string]*rules `json:"robots,omitempty"`
}

// snapURL is an entry. References to other entries are indices in URLs,
// plus one (0 is none).
type snapURL struct {
	URL   string   `json:"u"`
	Depth int32    `json:"d"`
	State uint8    `json:"s"`
	Next  int      `json:"n,omitempty"`
	Kids  []int    `json:"k,omitempty"`
	Far   []string `json:"f,omitempty"`
	Chain []string `json:"c,omitempty"` // the redirects that led to a URL queued
}

// snapshot copies the crawl's state. Requests in flight are written as
// queued (a periodic checkpoint is taken while they run): after a crash,
// they are fetched again.
func (cr *crawler) snapshot() *snapshot {
	// An entry's seq is its place in URLs: entries are numbered 1, 2, ...
	// as they are made (newEntry, restore) and never removed from seen.
	ref := func(e *entry) int {
		if e == nil {
			return 0
		}
		return int(e.seq)
	}
	s := &snapshot{Version: stateVersion, Seeds: cr.seeds, Started: cr.started, Stats: cr.st,
		URLs: make([]snapURL, len(cr.fr.seen)), Robots: map[string]*rules{}}
	for _, e := range cr.fr.seen {
		u := snapURL{URL: e.url, Depth: e.depth, State: e.state, Next: ref(e.next), Far: e.far}
		if e.state == running {
			u.State = queued
			s.Started--
		}
		for _, k := range e.kids {
			u.Kids = append(u.Kids, ref(k))
		}
		if e.chain != nil {
			u.Chain = e.chain.urls
		}
		s.URLs[e.seq-1] = u
	}
	for origin, h := range cr.fr.hosts {
		if h.robots != nil {
			s.Robots[origin] = h.robots
		}
	}
	return s
}

// restore rebuilds the crawl from a checkpoint, before the seeds are
// added.
func (cr *crawler) restore(s *snapshot) error {
	fr := cr.fr
	es := make([]*entry, len(s.URLs))
	bad := func(what string) error { return fmt.Errorf("-state %s: %s", cr.c.state, what) }
	for i, u := range s.URLs {
		if p, err := url.Parse(u.URL); err != nil || u.State > disallowed || u.State == running || u.Depth < 0 || fr.seen[u.URL] != nil {
			return bad("a bad entry")
		} else if n, ok := canonical(p); !ok || n != u.URL {
			return bad("a URL not in normal form")
		}
		origin, _ := originOf(u.URL)
		es[i] = &entry{url: u.URL, depth: u.Depth, state: u.State, h: fr.hostFor(origin), seq: uint64(i + 1)}
		fr.seen[u.URL] = es[i]
	}
	ref := func(k int) (*entry, error) {
		switch {
		case k < 0 || k > len(es):
			return nil, bad("a reference out of range")
		case k == 0:
			return nil, nil
		}
		return es[k-1], nil
	}
	for i, u := range s.URLs {
		e := es[i]
		var err error
		if e.next, err = ref(u.Next); err != nil {
			return err
		}
		for _, k := range u.Kids {
			kid, err := ref(k)
			if err != nil || kid == nil {
				return bad("a bad link")
			}
			e.kids = append(e.kids, kid)
		}
		e.far = u.Far
		if len(u.Chain) > 0 {
			e.chain = &chain{urls: u.Chain}
		}
	}
	for _, e := range es {
		if e.state == queued {
			fr.enqueue(e)
		}
	}
	for _, e := range es {
		if e.state == done && len(e.kids)+len(e.far) > 0 {
			fr.keep(e)
		}
	}
	for origin, r := range s.Robots {
		fr.hostFor(origin).robots = r
	}
	fr.seq = uint64(len(es))
	cr.started = s.Started
	cr.st = s.Stats
	cr.pages0 = s.Stats.Pages
	return nil
}

// save writes the checkpoint atomically (a temporary file, fsynced and
// renamed over the old one): after a crash the file holds the previous
// checkpoint or this one. The copy is made on the loop; then the records
// queued so far, those of every URL the copy says is done among them, are
// written out, so that the checkpoint never names a URL done whose record
// was not written; then the copy is encoded and written on the offload
// pool or the ring. If the records cannot be written, the last checkpoint
// stays.
func (cr *crawler) save(ctx context.Context) error {
	s := cr.snapshot()
	if err := cr.out.flush(ctx); err != nil {
		return nil // the crawl is failing for it already
	}
	data, err := fiber.Blocking(ctx, func(context.Context) ([]byte, error) { return json.Marshal(s) })
	if err != nil {
		return fmt.Errorf("-state: %w", err)
	}
	if err := writeAtomic(ctx, cr.c.state, data); err != nil {
		return fmt.Errorf("-state: %w", err)
	}
	return nil
}

// checkpointEvery saves the checkpoint every -checkpoint until ctx ends.
func (cr *crawler) checkpointEvery(ctx context.Context) (struct{}, error) {
	for fiber.Sleep(ctx, cr.c.checkpoint) == nil {
		// A checkpoint begun is finished: the final one must not race it.
		if err := cr.save(context.WithoutCancel(ctx)); err != nil {
			cr.fail(err)
			return struct{}{}, nil
		}
	}
	return struct{}{}, nil
}

// loadState reads a checkpoint; a missing file is a new crawl (nil).
func loadState(path string) (*snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("-state: %w", err)
	}
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("-state %s: not a checkpoint: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("-state %s: checkpoint version %d, want %d", path, s.Version, stateVersion)
	}
	return &s, nil
}
