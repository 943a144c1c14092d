package loop

// The stall detector's ways of capturing the offender's stack (a profile
// record picked by label, or runtime.Stack of every goroutine) and their
// parsers, for the tests of package loop_test.
var (
	OffenderStack  = offenderStack
	GoroutineStack = goroutineStack
	FindGoroutine  = findGoroutine
	FindLabelled   = findLabelled
)
