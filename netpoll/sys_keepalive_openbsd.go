package netpoll

// setKeepAlivePeriod does nothing: OpenBSD has only the system-wide
// keep-alive timing.
func setKeepAlivePeriod(fd, secs int) error { return nil }
