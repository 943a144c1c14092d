// Package loopdebug is what weft's debugging aids share between the layers
// that cannot import each other: the registry of live loops (for Dump, the
// metrics and expvar, in package weft/debug), each loop's stall-watch
// state (written by package loop and by package fiber, read by the loop's
// watchdog goroutine), and call sites (recorded by package fiber and
// package future, formatted for reports).
//
// Nothing here is on a fast path unless a loop was made in debug mode
// (loop.WithDebug, WEFT_DEBUG=1) or with the stall detector
// (loop.WithStall): the hook sites check for that first, behind
// debugbuild.Enabled, so a build with the weft_nodebug tag compiles them
// away.
package loopdebug
