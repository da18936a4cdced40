package tests

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// runVerifyExport runs the documented offline procedure on a bundle.
func runVerifyExport(t *testing.T, bundle []byte, caPEM string) (string, error) {
	t.Helper()
	requireTool(t, "openssl")
	dir := t.TempDir()
	tarPath, caPath := filepath.Join(dir, "audit.tar"), filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(tarPath, bundle, 0o600))
	require.NoError(t, os.WriteFile(caPath, []byte(caPEM), 0o600))
	out, err := exec.Command("sh", filepath.Join(suite.root, "tests", "verify-export.sh"), tarPath, caPath).CombinedOutput()
	return string(out), err
}

func TestOfflineExportVerifiesWithOpensslAndSha256sum(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	env, _ := completedEnvelope(t, base)
	status, bundle := download(t, base+"/v1/envelopes/"+str(env, "id")+"/audit/export")
	require.Equal(t, http.StatusOK, status)
	_, certs := getJSON(t, base+"/v1/certificates")
	ca := str(certs, "ca_certificate_pem")

	out, err := runVerifyExport(t, bundle, ca)
	require.NoError(t, err, out)
	require.Contains(t, out, "OK: seal certificate trusted, manifest signed, files intact")

	// One changed byte in an event's text.
	i := bytes.Index(bundle, []byte(`"type":"recipient.signed"`))
	require.Positive(t, i)
	tampered := append([]byte(nil), bundle...)
	tampered[i+9] ^= 0x01
	out, err = runVerifyExport(t, tampered, ca)
	require.Error(t, err, "a changed byte must fail: %s", out)

	// A bundle checked against some other CA is not trusted.
	out, err = runVerifyExport(t, bundle, selfSignedCA(t))
	require.Error(t, err, "another CA must not vouch for this seal: %s", out)
}

func selfSignedCA(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", filepath.Join(dir, "k.pem"), "-out", filepath.Join(dir, "ca.pem"), "-subj", "/CN=Other CA", "-days", "1").CombinedOutput()
	require.NoError(t, err, "%s", out)
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	return string(ca)
}
