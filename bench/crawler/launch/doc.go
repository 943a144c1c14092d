// Command launch runs a command and writes what it used, a proc.Usage,
// as JSON to a file: the crawler benchmark's harness starts each crawler
// through it so that the crawler's peak memory comes from wait4 exactly.
//
//	launch -o FILE -- COMMAND [ARG ...]
//
// Why a launcher: on Linux, wait4's maxrss of a child Go started is at
// least the parent's own peak (see package proc), and the harness, with
// its charts' fonts, peaks at about 10 MiB, above a small crawl's; this
// program imports next to nothing and peaks at about 2 MiB. The command
// inherits its stdin, stdout and stderr; launch exits with the command's
// exit status, 125 if it could not run it or write FILE, and 2 on bad
// arguments. It puts nothing else between the command's start and exit.
package main
