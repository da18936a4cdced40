// Package devserver runs the services `signflow dev` needs as child
// processes (the Temporal CLI's dev server, Mailpit), keeping their state
// under the data directory so a restart picks up where it stopped.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Process describes a child service.
type Process struct {
	Name      string
	Path      string
	Args      []string
	ReadyAddr string // accepts TCP connections once the service is up
}

// Addresses of the dev services.
const (
	TemporalAddr = "127.0.0.1:7233"
	TemporalUI   = "http://127.0.0.1:8233"
	SMTPAddr     = "127.0.0.1:1025"
	MailUI       = "http://127.0.0.1:8025"
)

// TemporalTuning is the dynamic configuration Signflow's Temporal runs
// with. Eager activity execution hands a workflow task's new activity on
// its own task queue (the state changes people wait on) straight back to
// the worker that completed the task, instead of through a poll: one
// matching round trip fewer for every change. Clusters set the same key in
// their dynamic config file (see docs/operations.md).
var TemporalTuning = []string{"--dynamic-config-value", "system.enableActivityEagerExecution=true"}

// Temporal is the Temporal CLI's dev server with its database in dataDir.
// Its Web UI decodes the encrypted payloads through codecEndpoint.
func Temporal(cli, dataDir, codecEndpoint string) Process {
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1", "--port", "7233", "--ui-port", "8233", "--ui-codec-endpoint", codecEndpoint,
		"--db-filename", filepath.Join(dataDir, "temporal.db"), "--log-level", "warn"}
	return Process{Name: "temporal", Path: cli, ReadyAddr: TemporalAddr, Args: append(args, TemporalTuning...)}
}

// Mailpit is a local SMTP server whose web UI shows every email sent.
func Mailpit(bin, dataDir string) Process {
	return Process{Name: "mailpit", Path: bin, ReadyAddr: SMTPAddr, Args: []string{
		"--smtp", SMTPAddr, "--listen", "127.0.0.1:8025", "--database", filepath.Join(dataDir, "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check"}}
}

// Server is a running child.
type Server struct {
	cmd  *exec.Cmd
	done chan error
}

// Start launches p, logging to dataDir/<name>.log, and waits until it
// accepts connections.
func Start(ctx context.Context, p Process, dataDir string, log *slog.Logger) (*Server, error) {
	if _, err := os.Stat(p.Path); err != nil {
		return nil, fmt.Errorf("%s not found at %s (run `make run`, which installs it): %w", p.Name, p.Path, err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	logPath := filepath.Join(dataDir, p.Name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", p.Name, err)
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", p.Name, err)
	}
	s := &Server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	log.Info("dev service starting", "service", p.Name, "pid", cmd.Process.Pid, "address", p.ReadyAddr, "log", logPath)
	if err := s.waitReady(ctx, p, logPath); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, p Process, logPath string) error {
	deadline := time.After(2 * time.Minute)
	for {
		conn, err := net.DialTimeout("tcp", p.ReadyAddr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-s.done:
			return fmt.Errorf("%s exited during start-up (see %s): %v", p.Name, logPath, err)
		case <-deadline:
			return errors.New(p.Name + " did not accept connections within 2 minutes")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop asks the child to shut down and kills it if it has not within 10 seconds.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
