// Package fds makes the raw file descriptors the programs of
// examples/forms work with: pipes and socket pairs, blocking or not,
// always close-on-exec. The programs use raw descriptors on purpose, to
// show each form of I/O at the level of its system calls; Go's os and net
// packages would hide them behind Go's own poller.
package fds
