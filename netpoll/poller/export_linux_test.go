package poller

func init() {
	SetMillisecondWait = func(on bool) func() {
		old := noPwait2.Swap(on)
		return func() { noPwait2.Store(old) }
	}
}
