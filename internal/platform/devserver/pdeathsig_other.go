//go:build !linux

package devserver

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux.
func setParentDeathSignal(*exec.Cmd) {}
