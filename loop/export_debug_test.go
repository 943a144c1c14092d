package loop

// The stall detector's two ways of capturing the offender's stack, for
// the tests of package loop_test.
var (
	OffenderStack  = offenderStack
	GoroutineStack = goroutineStack
	FindGoroutine  = findGoroutine
	FindLabelled   = findLabelled
)
