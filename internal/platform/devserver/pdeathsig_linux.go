package devserver

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the dev server if signflow dies without
// stopping it, so no orphan keeps the ports.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
