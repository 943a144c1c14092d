// Package app holds what the three versions of the porting example share,
// so that only their control flow differs: the input files, a file reader
// with a callback API, a price service with a callback API, the parser and
// the report.
//
// The two callback APIs follow the rules a good callback library keeps, the
// ones Node made common: a callback runs on the loop, never on some other
// goroutine, and never inside the call that started the work (even an
// error is delivered later), so the code that calls them needs no lock and
// cannot be re-entered.
//
// The price service misbehaves on purpose, once each, so that every
// version must cope: the first lookup of FlakySKU fails with ErrUnavailable
// (a transient error, worth a retry), the first lookup of SlowSKU answers
// only after SlowLatency, well past Timeout (the caller must give up and
// try again), and an unknown part fails with ErrUnknownSKU (a permanent
// error: retrying it would only waste time). The inputs put these parts in
// files of their own, so which file sees each failure, and how many calls
// the service gets in all, is the same on every run and in every version.
package app

import "time"

// The policy every version applies to a price lookup. The futures version
// hands these to future.Retry and future.Timeout; the other two spell out
// the same schedule.
const (
	// Timeout bounds one lookup attempt.
	Timeout = 50 * time.Millisecond
	// Attempts is the most attempts per lookup, the first included.
	Attempts = 3
	// Backoff is the wait before the second attempt; it doubles after
	// each further failure.
	Backoff = 10 * time.Millisecond
)
