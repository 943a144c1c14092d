package loopdebug

import (
	"fmt"
	"runtime"
	"strings"
)

// SetFutureSite records s as where f, a *future.Future of a loop in debug
// mode made by its Init and not shared yet, was made. Package future sets
// it; package fiber calls it for the future embedded in a fiber, whose
// site is the fiber's spawn site (Init itself records nothing, so that it
// stays small enough to inline into fiber.Go).
var SetFutureSite func(f any, s *Site)

// MaxDepth is the most frames a Site keeps.
const MaxDepth = 16

// Depths of the sites weft records. A frame costs about 100 ns to unwind
// (on top of about 400 ns for the call: BenchmarkSite_Record, 0.6-0.7 µs
// at depth 4, 1.1 µs at 8), so a site keeps just enough to climb
// out of weft's own code: where a fiber or future is made, the caller of
// Go, New or Then is one or two frames up; where a fiber parks, the
// caller of Await or Mutex.Lock is four to six frames up (under bufio or
// net/http, deeper, and the site then names weft's socket layer).
const (
	MadeDepth = 4
	WaitDepth = 8
)

// A Site is a call stack recorded where something was made or waits,
// kept as program counters and formatted only when a report needs it.
type Site struct {
	pcs [MaxDepth]uintptr
	n   int
}

// Callers returns depth frames (at most MaxDepth) of the stack of its
// caller's caller, from skip frames further up (0: the caller's caller).
func Callers(skip, depth int) *Site {
	s := new(Site)
	s.Record(skip+1, depth)
	return s
}

// Record overwrites s with depth frames (at most MaxDepth) of the stack
// of its caller's caller, from skip frames further up, without
// allocating.
func (s *Site) Record(skip, depth int) {
	s.n = runtime.Callers(skip+3, s.pcs[:min(depth, MaxDepth)])
}

// Empty reports whether s holds no stack.
func (s *Site) Empty() bool { return s == nil || s.n == 0 }

// frame returns the frame of s that a reader wants to see: the first one
// outside weft's runtime packages and the standard library (the user's
// call that led here), or failing that the first outside weft's runtime,
// or the first. ok is false if s is empty.
func (s *Site) frame() (fr runtime.Frame, ok bool) {
	if s.Empty() {
		return runtime.Frame{}, false
	}
	var first, notWeft runtime.Frame
	frames := runtime.CallersFrames(s.pcs[:s.n])
	for i := 0; ; i++ {
		f, more := frames.Next()
		if i == 0 {
			first = f
		}
		if !weftRuntime(f) {
			if notWeft.PC == 0 {
				notWeft = f
			}
			if !stdlib(f.Function) {
				return f, true
			}
		}
		if !more {
			break
		}
	}
	if notWeft.PC != 0 {
		return notWeft, true
	}
	return first, true
}

// String formats s's Frame as "file:line (function)", "" if s is empty.
func (s *Site) String() string {
	fr, ok := s.frame()
	if !ok {
		return ""
	}
	return formatFrame(fr)
}

// formatFrame formats fr as "file:line (function)".
func formatFrame(fr runtime.Frame) string {
	return fmt.Sprintf("%s:%d (%s)", fr.File, fr.Line, fr.Function)
}

// weftPrefix is the import path of weft's module.
const weftPrefix = "github.com/weftio/weft/"

// weftRuntime reports whether f is a frame of weft's runtime packages
// (the loop, fibers, futures, sockets, files, fiber-aware sync and the
// internal packages) rather than of code that uses them. Test files count
// as users, whatever package they are in.
func weftRuntime(f runtime.Frame) bool {
	if strings.HasSuffix(f.File, "_test.go") || !strings.HasPrefix(f.Function, weftPrefix) {
		return false
	}
	rest := f.Function[len(weftPrefix):]
	for _, p := range [...]string{"loop.", "fiber.", "future.", "sync.", "netpoll.", "fs.", "timer.", "debug.", "internal/"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

// stdlib reports whether fn is a function of the standard library (or
// the runtime): its import path's first element has no dot, and it is not
// package main.
func stdlib(fn string) bool {
	if fn == "" || strings.HasPrefix(fn, "main.") {
		return false
	}
	first := fn
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	} else if i := strings.IndexByte(first, '.'); i >= 0 {
		first = first[:i]
	}
	return !strings.Contains(first, ".")
}
