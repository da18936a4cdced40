package tests

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runWalkthrough runs the block between <!-- name:start --> and
// <!-- name:end --> of a document with bash against `signflow dev`, in a
// directory laid out as the repository root, changing only the API address
// to a free port; it answers the block's output and that directory.
func runWalkthrough(t *testing.T, document, name string) (string, string) {
	t.Helper()
	requireTool(t, "jq")
	requireTool(t, "curl")
	doc, err := os.ReadFile(filepath.Join(suite.root, document))
	require.NoError(t, err)
	_, block, found := strings.Cut(string(doc), "<!-- "+name+":start -->")
	require.True(t, found, "%s has no %s block", document, name)
	block, _, found = strings.Cut(block, "<!-- "+name+":end -->")
	require.True(t, found)
	block = strings.TrimSpace(block)
	block = strings.TrimSuffix(strings.TrimPrefix(block, "```sh"), "```")
	require.Contains(t, block, "API=http://127.0.0.1:8080\n")

	addr := freeAddr(t)
	block = strings.Replace(block, "API=http://127.0.0.1:8080\n", "API=http://"+addr+"\n", 1)
	dir := t.TempDir()
	startDev(t, addr, filepath.Join(dir, ".data"))

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tests", "testdata"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests", "testdata", "contract.pdf"), contractPDF(t), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "%s output:\n%s", name, out.String())
	return out.String(), dir
}

// TestReadmeQuickstart runs the README's five minutes as written.
func TestReadmeQuickstart(t *testing.T) {
	t.Parallel()
	text, dir := runWalkthrough(t, "README.md", "quickstart")
	require.Contains(t, text, `{"verified":false,"subject":"Consulting agreement"}`, "the link alone shows only how to verify")
	require.Contains(t, text, `"recipient_status":"signed"`)
	require.Contains(t, text, `{"valid":true,`)
	requireWordIn(t, filepath.Join(dir, "signed.pdf"), 1, "Ada", box{0.10, 0.70, 0.35, 0.06})
}

// TestIntegrationWalkthrough runs the integration guide's walkthrough as
// written: three signers in two routing orders, a template and a bulk send.
func TestIntegrationWalkthrough(t *testing.T) {
	t.Parallel()
	text, dir := runWalkthrough(t, filepath.Join("docs", "integration.md"), "walkthrough")
	require.Contains(t, text, "is not due yet")
	require.Contains(t, text, `"status": "completed"`)
	require.Contains(t, text, "signed.pdf")
	signed := filepath.Join(dir, "signed.pdf")
	requireWordIn(t, signed, 1, "Alice", box{0.10, 0.70, 0.35, 0.06})
	requireWordIn(t, signed, 1, "Bob", box{0.55, 0.70, 0.35, 0.06})
	requireWordIn(t, signed, 1, "Carol", box{0.10, 0.85, 0.35, 0.06})
	requireInkIn(t, signed, 1, box{0.55, 0.85, 0.03, 0.02})

	// The template and bulk send: two rows sent, the third refused by name.
	require.Contains(t, text, `"roles": [`)
	require.Contains(t, text, `"created": 2`)
	require.Contains(t, text, `"refused": 1`)

	// Embedded signing: the session URL opens once.
	require.Contains(t, text, `{"frame_origins":["http://localhost:3000"]}`)
	require.Contains(t, text, "opened: 303\nagain: 410\n")
	require.Contains(t, text, `"field":"recipients[0].email"`)
	require.Contains(t, text, `"envelope_status":"in_progress","recipient_status":"signed"`)
	require.Contains(t, text, `{"name":"salary","type":"text","value":"EUR 61000"}`)
	require.Contains(t, text, `{"name":"start_month","type":"dropdown","value":"February"}`)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startDev runs `signflow dev` on addr against the suite's Temporal and
// database, and waits until it is ready. Each instance polls a task queue of
// its own: instances have their own keys in dataDir, and a worker holding
// another instance's link key would store hashes of tokens nobody was given.
func startDev(t *testing.T, addr, dataDir string) {
	t.Helper()
	cmd := exec.Command(suite.binary, "dev")
	cmd.Env = append(os.Environ(),
		"SIGNFLOW_HTTP_ADDR="+addr,
		"SIGNFLOW_PUBLIC_URL=http://"+addr,
		"SIGNFLOW_DATA_DIR="+dataDir,
		"DATABASE_URL="+suite.databaseURL,
		"SIGNFLOW_BLOB_DIR="+filepath.Join(suite.tmp, "blobs"),
		"TEMPORAL_ADDRESS="+suite.hostPort,
		"SIGNFLOW_TASK_QUEUE=walkthrough-"+newTestID(),
		"SIGNFLOW_SMTP_ADDR="+suite.smtpAddr,
		"SIGNFLOW_SMTP_TLS=none",
		"SIGNFLOW_SMS_CATCHER_ADDR="+freeAddr(t),
	)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 100*time.Millisecond, "signflow dev did not become ready:\n%s", &logs)
}
