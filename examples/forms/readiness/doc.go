//go:build unix

// Command readiness shows readiness notification at scale, through weft's
// poller (package netpoll/poller: epoll on Linux, kqueue on macOS and the
// BSDs): descriptors are registered once, and each wait returns only
// those that became ready, whatever the size of the set. It registers 256
// pipes, writes to three, and shows one Wait returning exactly those
// three; then that registration is edge-triggered: a second Wait reports
// nothing although the bytes are still unread, and a new write is a new
// edge.
//
//	go run ./examples/forms/readiness
//
// docs/forms-of-io.md, "Readiness notification at scale", says what the
// form costs. weft's loop (package loop) is built on this poller; the
// callbacks and reactor programs show it from there.
package main
