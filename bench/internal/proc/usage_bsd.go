//go:build unix && !linux && !darwin

package proc

// rssInBytes: the BSDs count ru_maxrss in KiB.
const rssInBytes = false
