//go:build !weft_nodebug

package debugbuild

// Enabled is true: the debugging hooks are compiled in (no weft_nodebug tag).
const Enabled = true
