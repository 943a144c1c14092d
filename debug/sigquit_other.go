//go:build !unix

package debug

import "io"

// InstallSIGQUIT does nothing on systems without SIGQUIT: Dump must be
// called some other way there. stop does nothing either. On Unix systems
// a SIGQUIT writes a Dump to w (see sigquit_unix.go).
func InstallSIGQUIT(w io.Writer) (stop func()) { return func() {} }
