// Package devserver runs the Temporal CLI's development server as a child
// process for `signflow dev`, keeping its state under the data directory so
// a restart picks up the envelopes still in flight.
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

// Server is a running dev server.
type Server struct {
	cmd  *exec.Cmd
	done chan error
}

// Ports of the dev server: gRPC frontend and Web UI.
const (
	GRPCPort = "7233"
	UIPort   = "8233"
)

// Start launches `temporal server start-dev` and waits until its frontend
// accepts connections.
func Start(ctx context.Context, cli, dataDir string, log *slog.Logger) (*Server, error) {
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s (run `make run`, which installs it, or set SIGNFLOW_TEMPORAL_CLI): %w", cli, err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(dataDir, "temporal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open temporal log: %w", err)
	}
	cmd := exec.Command(cli, "server", "start-dev",
		"--ip", "127.0.0.1", "--port", GRPCPort, "--ui-port", UIPort,
		"--db-filename", filepath.Join(dataDir, "temporal.db"), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	s := &Server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	log.Info("temporal dev server starting", "pid", cmd.Process.Pid, "grpc", "127.0.0.1:"+GRPCPort,
		"web_ui", "http://127.0.0.1:"+UIPort, "log", logFile.Name())
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.After(2 * time.Minute)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+GRPCPort, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-s.done:
			return fmt.Errorf("temporal dev server exited during start-up (see .data/temporal.log): %v", err)
		case <-deadline:
			return errors.New("temporal dev server did not accept connections within 2 minutes")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop asks the dev server to shut down and kills it if it has not within 10 seconds.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
