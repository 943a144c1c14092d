//go:build !unix

package main

import "os/exec"

// killGroup leaves cmd as it is: without process groups, a timeout kills
// the launcher only.
func killGroup(cmd *exec.Cmd) {}
