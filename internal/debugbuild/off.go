//go:build weft_nodebug

package debugbuild

// Enabled is false: built with the weft_nodebug tag, the hooks compile away.
const Enabled = false
