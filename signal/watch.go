//go:build linux || darwin || freebsd || netbsd || openbsd

package signal

import (
	"os"
	ossignal "os/signal"
	"slices"
	"sync"
	"syscall"

	"github.com/weftio/weft/loop"
)

// reg is the process-wide table of subscriptions: one watch per signal
// that has subscribers, and the subscriptions of each loop, so that a
// loop that closes stops its own.
var reg struct {
	mu      sync.Mutex
	watches map[syscall.Signal]*watch
	loops   map[*loop.Loop][]*Sub
}

// A watch relays one signal: os/signal sends it on ch, and the watch's
// goroutine hands each delivery to the subscribers.
//
// ch has capacity one, and one signal: when os/signal finds it full (the
// goroutine has not taken the last delivery yet) it drops the new one,
// which is then merged with the one in ch rather than lost. With one
// channel for several signals, a burst of one could fill it and make
// another signal's only delivery the one dropped.
type watch struct {
	sig  syscall.Signal
	ch   chan os.Signal
	subs []*Sub // guarded by reg.mu; replaced, never changed in place, so run reads a snapshot
	quit chan struct{}
	done chan struct{}
}

// run relays deliveries until quit is closed.
func (w *watch) run() {
	defer close(w.done)
	for {
		select {
		case <-w.ch:
			reg.mu.Lock()
			subs := w.subs
			reg.mu.Unlock()
			for _, s := range subs {
				s.deliver(slices.Index(s.sigs, w.sig))
			}
		case <-w.quit:
			return
		}
	}
}

// add registers s with the watch of each of its signals, starting those
// that do not run yet, and with its loop, hooking the loop's close the
// first time.
func add(s *Sub) {
	reg.mu.Lock()
	if reg.watches == nil {
		reg.watches = make(map[syscall.Signal]*watch)
		reg.loops = make(map[*loop.Loop][]*Sub)
	}
	s.live = true
	for _, sig := range s.sigs {
		w := reg.watches[sig]
		if w == nil {
			w = &watch{sig: sig, ch: make(chan os.Signal, 1), quit: make(chan struct{}), done: make(chan struct{})}
			reg.watches[sig] = w
			ossignal.Notify(w.ch, sig)
			go w.run()
		}
		w.subs = append(slices.Clip(w.subs), s)
	}
	subs, hooked := reg.loops[s.l]
	reg.loops[s.l] = append(subs, s)
	reg.mu.Unlock()
	if !hooked {
		// Outside the lock: on a loop already closed the hook runs now.
		l := s.l
		l.OnClose(func() { closeLoop(l) })
	}
}

// closeLoop stops the subscriptions of a loop that closed.
func closeLoop(l *loop.Loop) {
	reg.mu.Lock()
	subs := slices.Clone(reg.loops[l])
	delete(reg.loops, l)
	reg.mu.Unlock()
	for _, s := range subs {
		s.Stop()
	}
}

// remove unregisters s and stops the watches it was the last subscriber
// of, waiting for their goroutines. It reports false if s was already
// removed.
func remove(s *Sub) bool {
	reg.mu.Lock()
	if !s.live {
		reg.mu.Unlock()
		return false
	}
	s.live = false
	s.stopped.Store(true)
	var ended []*watch
	for _, sig := range s.sigs {
		w := reg.watches[sig]
		w.subs = slices.DeleteFunc(slices.Clone(w.subs), func(x *Sub) bool { return x == s })
		if len(w.subs) == 0 {
			delete(reg.watches, sig)
			// After Stop, os/signal sends nothing more on ch, and with no
			// channel left for sig the signal's disposition is restored.
			ossignal.Stop(w.ch)
			close(w.quit)
			ended = append(ended, w)
		}
	}
	if subs, ok := reg.loops[s.l]; ok {
		reg.loops[s.l] = slices.DeleteFunc(slices.Clone(subs), func(x *Sub) bool { return x == s })
	}
	reg.mu.Unlock()
	for _, w := range ended {
		<-w.done // run takes reg.mu: wait outside it
	}
	return true
}
