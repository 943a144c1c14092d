package proc

// rssInBytes: macOS counts ru_maxrss in bytes.
const rssInBytes = true
