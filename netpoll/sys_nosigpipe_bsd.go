//go:build netbsd || openbsd

package netpoll

// noSigPipe does nothing: Go's runtime turns SIGPIPE on a socket into
// EPIPE.
func noSigPipe(int) {}
