package future

import "github.com/weftio/weft/internal/loopdebug"

// made records where f is being made; the caller checks that f's loop is
// in debug mode. It runs before f is shared, so f.x never changes after
// (ext makes it only when nil), and Site may read it from any goroutine.
func (f *Future[T]) made() {
	// From the caller of New, Then (which call made) or newFuture.
	f.ext().site = loopdebug.Callers(1, loopdebug.MadeDepth)
}

// setSite records s as where f was made, for a future made by Init: the
// type that embeds it knows better (package fiber: the fiber's spawn
// site). It must run before f is shared, as made does.
func (f *Future[T]) setSite(s *loopdebug.Site) { f.ext().site = s }

func init() {
	loopdebug.SetFutureSite = func(f any, s *loopdebug.Site) {
		f.(interface{ setSite(*loopdebug.Site) }).setSite(s)
	}
}

// Site returns where f was made: "file:line (function)" of the call
// outside weft's own packages that made it (New, a combinator such as
// Then or All, fiber.Go...). Dumps and async stack traces name the future
// a fiber awaits by it. It is recorded only for the futures of a loop in
// debug mode (loop.WithDebug, WEFT_DEBUG=1), and only for those made
// pending, which are the ones a fiber can wait for: Resolved and Rejected
// record nothing, so that they stay cheap enough to inline. For any other
// future Site returns "". Safe from any goroutine.
func (f *Future[T]) Site() string {
	if !f.l.Debugging() || f.x == nil {
		return ""
	}
	return f.x.site.String()
}
