package netpoll

// QueuedBytes returns how many bytes wait in c's write queue, for tests.
func QueuedBytes(c *Conn) int {
	n := 0
	_ = c.onLoop("test", func() error { n = c.queued(); return nil })
	return n
}
