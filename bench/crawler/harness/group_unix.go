//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd's context kill cmd's whole process group, which
// cmd leads: the launcher and the crawler it started.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
