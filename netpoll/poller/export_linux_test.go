package poller

func init() {
	SetMillisecondWait = func(on bool) func() {
		old := noPwait2.Swap(on)
		return func() { noPwait2.Store(old) }
	}
}

// Parked reports whether p waits parked in Go's netpoller.
func Parked(p Poller) bool { return p.(*epoll).park }
