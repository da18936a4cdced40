package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startMailpit runs a real Mailpit on free ports and returns how to stop it.
func startMailpit(bin string, log io.Writer) (func(), error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("Mailpit is not at %s: run `make test`, which installs the pinned version", bin)
	}
	smtpAddr, httpAddr := freePort(), freePort()
	cmd := mailpitCommand(bin, smtpAddr, httpAddr, suite.tmp)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mailpit: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	if err := awaitListening(httpAddr); err != nil {
		stop()
		return nil, err
	}
	suite.smtpAddr, suite.mailAPI = smtpAddr, "http://"+httpAddr
	return stop, nil
}

// refusedDomain is a domain the test Mailpit refuses for good, as a real
// server refuses an address that does not exist.
const refusedDomain = "refused.test"

// mailpitCommand runs Mailpit with its database in dir: the tests kill it,
// and a killed Mailpit leaves its default database in the system's /tmp.
func mailpitCommand(bin, smtpAddr, httpAddr, dir string) *exec.Cmd {
	return exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"), "--smtp-auth-accept-any",
		"--smtp-auth-allow-insecure", "--disable-version-check", "--smtp-allowed-recipients", `@example\.com$`)
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func awaitListening(addr string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return nil
		}
	}
	return fmt.Errorf("nothing listens on %s", addr)
}

// mail is a message as Mailpit's search lists it.
type mail struct {
	ID        string
	MessageID string
	Subject   string
	To        []struct{ Address string }
}

// mailBody is one message in full.
type mailBody struct {
	Text        string
	Attachments []struct {
		FileName    string
		ContentType string
	}
}

// searchMail lists the messages matching a Mailpit search query.
func searchMail(t *testing.T, mailAPI, query string) []mail {
	t.Helper()
	resp, err := http.Get(mailAPI + "/api/v1/search?query=" + url.QueryEscape(query))
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return nil // a Mailpit still starting answers in plain text: nothing found yet
	}
	var found struct{ Messages []mail }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&found))
	return found.Messages
}

// allMail lists every message Mailpit holds, newest first.
func allMail(t *testing.T, mailAPI string) []mail {
	t.Helper()
	resp, err := http.Get(mailAPI + "/api/v1/messages?limit=1000")
	require.NoError(t, err)
	defer resp.Body.Close()
	var found struct{ Messages []mail }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&found))
	return found.Messages
}

// readMail loads one message with its text and attachments.
func readMail(t *testing.T, mailAPI, id string) mailBody {
	t.Helper()
	resp, err := http.Get(mailAPI + "/api/v1/message/" + id)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m mailBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

// awaitMail waits for exactly n messages matching query.
func awaitMail(t *testing.T, mailAPI, query string, n int, within time.Duration) []mail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		found := searchMail(t, mailAPI, query)
		if len(found) >= n {
			require.Len(t, found, n, "query %q", query)
			return found
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d message(s) matching %q did not arrive within %s; found %d", n, query, within, len(found))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
