//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"math"
	"slices"
)

// The states of an entry.
const (
	queued     uint8 = iota // waiting in its host's queue
	running                 // being fetched
	done                    // fetched (or given up on), its record written
	disallowed              // robots.txt said no; never fetched
)

// An entry is a URL the crawler knows: one it has queued, fetched or been
// told not to fetch. Every URL has at most one, which is how nothing is
// fetched twice.
type entry struct {
	url   string
	seq   uint64 // order of discovery, which a checkpoint keeps
	h     *host
	depth int32
	state uint8
	// next is where the URL redirected to: a redirect's target has the
	// redirecting URL's depth.
	next *entry
	// chain is the redirect chain that led to the entry, until it is
	// fetched; nil if none did.
	chain *chain
	// kids are the page's links within -depth, and far its links beyond
	// it, kept while the page's own depth may still drop (see lower).
	kids []*entry
	far  []string
}

// A job is an entry's turn in its host's queue. A job whose entry has
// moved on (fetched through a redirect, or queued again at a lower depth)
// is stale and skipped.
type job struct {
	e     *entry
	depth int32
}

func (j job) stale() bool { return j.e.state != queued || j.e.depth != j.depth }

// A chain is the redirect chain that led to an entry: the URLs requested
// from the first one (which no redirect led to) on, for counting
// redirects and finding loops.
type chain struct {
	urls []string
}

// visits reports whether the chain has requested u already.
func (c *chain) visits(u string) bool { return slices.Contains(c.urls, u) }

// A host is one origin (scheme, name and port): its queue, its requests in
// flight, its last request's start and its robots.txt.
type host struct {
	origin   string
	buckets  []fifo // jobs by depth
	low      int32  // no job below this depth
	jobs     int    // jobs in the buckets, stale ones included
	inflight int
	last     int64  // loop time the last request started
	robots   *rules // nil until fetched
	fetching bool   // robots.txt in flight
	active   bool   // on the frontier's active list
}

// fifo is a queue of jobs.
type fifo struct {
	jobs []job
	head int
}

func (q *fifo) push(j job) { q.jobs = append(q.jobs, j) }

func (q *fifo) pop() job {
	j := q.jobs[q.head]
	q.jobs[q.head] = job{}
	q.head++
	if q.head == len(q.jobs) {
		q.jobs, q.head = q.jobs[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.jobs) {
		q.jobs = append(q.jobs[:0], q.jobs[q.head:]...)
		q.head = 0
	}
	return j
}

func (q *fifo) len() int { return len(q.jobs) - q.head }

// push queues j on h at j.depth.
func (h *host) push(j job) {
	for int(j.depth) >= len(h.buckets) {
		h.buckets = append(h.buckets, fifo{})
	}
	h.buckets[j.depth].push(j)
	h.jobs++
	h.low = min(h.low, j.depth)
}

// peek returns h's next job that is not stale, lowest depth first, first
// in first out within a depth, dropping stale ones; ok is false if there
// is none.
func (h *host) peek() (j job, ok bool) {
	for ; int(h.low) < len(h.buckets); h.low++ {
		q := &h.buckets[h.low]
		for q.len() > 0 {
			if j := q.jobs[q.head]; !j.stale() {
				return j, true
			}
			q.pop()
			h.jobs--
		}
	}
	return job{}, false
}

// take removes the job peek returned.
func (h *host) take() job {
	h.jobs--
	return h.buckets[h.low].pop()
}

// depthWindow is how far ahead of the least depth still unfinished a job
// may start: a page of depth d waits until every page of depth
// d-depthWindow-1 or less is done. Depths stay exact without it (lower
// repairs them), but it bounds the pages whose links must be kept for a
// repair to depthWindow levels, and the repairs themselves.
const depthWindow = 2

// The frontier is the crawl's state on the coordinator's loop: every URL
// known, the hosts and their queues, and the depth bookkeeping. Only the
// coordinator's fibers touch it.
type frontier struct {
	maxDepth   int32
	seen       map[string]*entry
	hosts      map[string]*host
	active     []*host    // hosts with jobs
	rr         int        // where the next pick starts in active
	unfinished []int      // entries queued or running, by depth
	left       int        // their sum
	min        int32      // least depth with unfinished entries
	kept       [][]*entry // by depth: done pages keeping kids or far
	freed      int32      // kept is empty below this depth
	seq        uint64     // entries made
}

func newFrontier(maxDepth int) *frontier {
	return &frontier{maxDepth: int32(maxDepth), seen: map[string]*entry{}, hosts: map[string]*host{}}
}

// hostFor returns the host of origin, made on first use.
func (f *frontier) hostFor(origin string) *host {
	h := f.hosts[origin]
	if h == nil {
		h = &host{origin: origin, last: math.MinInt64 / 2}
		f.hosts[origin] = h
	}
	return h
}

// count moves an entry into (+1) or out of (-1) the unfinished ones at
// depth d, and keeps min, releasing what no repair can need any more.
func (f *frontier) count(d int32, delta int) {
	for int(d) >= len(f.unfinished) {
		f.unfinished = append(f.unfinished, 0)
	}
	f.unfinished[d] += delta
	f.left += delta
	if delta > 0 && d < f.min {
		f.min = d
	}
	for int(f.min) < len(f.unfinished) && f.unfinished[f.min] == 0 {
		f.min++
	}
	for ; f.freed <= f.min && int(f.freed) < len(f.kept); f.freed++ {
		for _, e := range f.kept[f.freed] {
			e.kids, e.far = nil, nil
		}
		f.kept[f.freed] = nil
	}
}

// add makes a queued entry for u at depth d, or lowers u's entry if it has
// one; it returns the entry.
func (f *frontier) add(u string, d int32) *entry {
	if e := f.seen[u]; e != nil {
		f.lower(e, d)
		return e
	}
	e := f.newEntry(u, d)
	f.enqueue(e)
	return e
}

// newEntry makes u's entry, at depth d, not queued yet.
func (f *frontier) newEntry(u string, d int32) *entry {
	origin, _ := originOf(u)
	f.seq++
	e := &entry{url: u, h: f.hostFor(origin), depth: d, seq: f.seq}
	f.seen[u] = e
	return e
}

// enqueue puts e in its host's queue and counts it as unfinished.
func (f *frontier) enqueue(e *entry) {
	e.state = queued
	f.count(e.depth, +1)
	f.requeue(e)
}

// requeue puts a queued e in its host's queue (again).
func (f *frontier) requeue(e *entry) {
	h := e.h
	h.push(job{e: e, depth: e.depth})
	if !h.active {
		h.active = true
		f.active = append(f.active, h)
	}
}

// lower gives e a depth of d if that is less than it has, and passes the
// change on: to a job still queued (queued again at d), to where e
// redirected (depth d too) and to the links of a page already fetched
// (d+1, those beyond -depth queued now if d+1 is within it). So a URL's
// depth is always the least over the ways found to reach it, whatever
// order pages finished in.
func (f *frontier) lower(e *entry, d int32) {
	if d >= e.depth {
		return
	}
	old := e.depth
	e.depth = d
	if e.state == queued || e.state == running {
		f.count(d, +1)
		f.count(old, -1)
	}
	if e.state == queued {
		f.requeue(e)
	}
	if e.next != nil {
		f.lower(e.next, d)
	}
	if e.state != done {
		return
	}
	for _, k := range e.kids {
		f.lower(k, d+1)
	}
	if d+1 <= f.maxDepth && len(e.far) > 0 {
		for _, u := range e.far {
			e.kids = append(e.kids, f.add(u, d+1))
		}
		e.far = nil
	}
}

// keep records that e holds kids or far for repairs, until the least
// unfinished depth reaches e's.
func (f *frontier) keep(e *entry) {
	if e.depth <= f.min {
		e.kids, e.far = nil, nil
		return
	}
	for int(e.depth) >= len(f.kept) {
		f.kept = append(f.kept, nil)
	}
	f.kept[e.depth] = append(f.kept[e.depth], e)
}
