//go:build unix

package loop_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll/poller"
)

// fakePoller is a Poller whose readiness the test injects, so loop tests
// can script I/O exactly.
type fakePoller struct {
	mu       sync.Mutex
	handlers map[int]poller.Handler
	queued   []fakeEvent
	wake     chan struct{}
	closed   bool
}

type fakeEvent struct {
	fd int
	ev poller.Events
}

func newFakePoller() *fakePoller {
	return &fakePoller{handlers: map[int]poller.Handler{}, wake: make(chan struct{}, 1)}
}

func (p *fakePoller) Add(fd int, ev poller.Events, h poller.Handler) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.handlers[fd]; ok {
		return errors.New("fake: already registered")
	}
	p.handlers[fd] = h
	return nil
}

func (p *fakePoller) Remove(fd int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.handlers, fd)
	return nil
}

// fire queues readiness for fd, from any goroutine.
func (p *fakePoller) fire(fd int, ev poller.Events) {
	p.mu.Lock()
	p.queued = append(p.queued, fakeEvent{fd, ev})
	p.mu.Unlock()
	p.Wake()
}

func (p *fakePoller) Wait(timeout time.Duration, dispatch func(poller.Handler, poller.Events)) (int, error) {
	p.mu.Lock()
	if len(p.queued) == 0 && timeout != 0 {
		p.mu.Unlock()
		var after <-chan time.Time
		if timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			after = t.C
		}
		select {
		case <-p.wake:
		case <-after:
		}
		p.mu.Lock()
	}
	batch := p.queued
	p.queued = nil
	p.mu.Unlock()
	n := 0
	for _, e := range batch {
		p.mu.Lock()
		h := p.handlers[e.fd] // looked up at dispatch: a Remove drops it
		p.mu.Unlock()
		if h != nil {
			dispatch(h, e.ev)
			n++
		}
	}
	return n, nil
}

func (p *fakePoller) Wake() error {
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

func (p *fakePoller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("fake: closed twice")
	}
	p.closed = true
	return nil
}

func TestFakePollerDispatchOrder(t *testing.T) {
	fp := newFakePoller()
	l := start(t, loop.WithPoller(fp))
	var log []string
	done := make(chan struct{})
	on(t, l, func() {
		l.Register(3, poller.Readable, handlerFunc(func(ev poller.Events) {
			log = append(log, "3:"+ev.String())
			l.Microtask(func() { log = append(log, "3.m") })
		}))
		l.Register(4, poller.Readable|poller.Writable, handlerFunc(func(ev poller.Events) {
			log = append(log, "4:"+ev.String())
			l.Unregister(5) // the queued event for 5 must not be delivered
		}))
		l.Register(5, poller.Readable, handlerFunc(func(poller.Events) { log = append(log, "5") }))
		l.Register(6, poller.Readable, handlerFunc(func(poller.Events) { close(done) }))
	})
	fp.fire(3, poller.Readable)
	fp.fire(4, poller.Writable)
	fp.fire(5, poller.Readable)
	fp.fire(6, poller.Readable)
	<-done
	on(t, l, func() {
		if got, want := strings.Join(log, " "), "3:Readable 3.m 4:Writable"; got != want {
			t.Errorf("dispatch order %q, want %q", got, want)
		}
		if s := l.Stats(); s.Registered != 3 {
			t.Errorf("Registered = %d, want 3", s.Registered)
		}
	})
	l.Close()
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if !fp.closed {
		t.Error("the loop did not close its poller")
	}
}
