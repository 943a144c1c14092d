// Package formtest runs the programs of examples/forms inside their tests:
// Run calls a program's run function with fd-leak checking and returns what
// it printed, and InOrder checks that the output holds the facts the
// program must show (bytes moved, the order of events) in the order given.
// Every program's main_test.go is built on these two calls, so that the
// test suite runs every program and each checks its own output.
//
// Goroutine leaks are checked by each program's TestMain
// (goleak.VerifyTestMain), which covers its Example functions too.
// Tests only.
package formtest
