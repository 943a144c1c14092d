package process

// SetPidfd turns the use of pidfds on or off (off: children are watched
// by SIGCHLD, as on the BSDs and macOS) and returns a function that
// restores the setting.
func SetPidfd(on bool) (restore func()) {
	was := pidfdOff.Swap(!on)
	return func() { pidfdOff.Store(was) }
}
