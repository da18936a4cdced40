package tests

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func verifyPDF(t *testing.T, base string, doc []byte) J {
	t.Helper()
	status, v := send(t, http.MethodPost, base+"/v1/verify", "application/pdf", bytes.NewReader(doc))
	require.Equal(t, http.StatusOK, status, "%v", v)
	return v
}

// completedEnvelope runs a one-signer envelope to completion and returns
// its ID and final PDF.
func completedEnvelope(t *testing.T, base string) (J, []byte) {
	t.Helper()
	id, link := oneSignerEnvelope(t, base)
	signFrom(t, link, "")
	awaitWorkflow(t, id)
	_, env := getJSON(t, base+"/v1/envelopes/"+id)
	status, final := download(t, str(env, "documents", 0, "final_url"))
	require.Equal(t, http.StatusOK, status)
	return env, final
}

func TestVerifyTellsAuthenticFromModified(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	env, final := completedEnvelope(t, base)

	v := verifyPDF(t, base, final)
	require.Equal(t, "authentic", str(v, "verdict"), "%v", v)
	require.Equal(t, str(env, "id"), str(v, "document", "envelope_id"))
	require.Equal(t, true, at(v, "document", "final"))
	require.Equal(t, true, at(v, "audit_trail", "valid"))
	require.Len(t, v["signatures"], 1)
	require.Equal(t, true, at(v, "signatures", 0, "valid"))
	require.Equal(t, true, at(v, "signatures", 0, "by_this_signflow"))
	require.Equal(t, true, at(v, "signatures", 0, "covers_whole_file"))

	// One byte changed in the middle of the document.
	tampered := append([]byte(nil), final...)
	tampered[len(tampered)/3] ^= 0x20
	v = verifyPDF(t, base, tampered)
	require.Equal(t, "modified", str(v, "verdict"), "%v", v)
	require.Contains(t, str(v, "summary"), "not as Signflow sealed it")
	path := filepath.Join(t.TempDir(), "tampered.pdf")
	require.NoError(t, os.WriteFile(path, tampered, 0o600))
	out, _ := exec.Command("pdfsig", path).CombinedOutput()
	require.NotContains(t, string(out), "Signature is Valid.", "pdfsig agrees: %s", out)

	// Bytes appended after the seal: the signature still holds, but no longer covers the file.
	appended := append(append([]byte(nil), final...), []byte("\n% appended\n")...)
	v = verifyPDF(t, base, appended)
	require.Equal(t, "modified", str(v, "verdict"), "%v", v)
	require.Equal(t, false, at(v, "signatures", 0, "covers_whole_file"))

	v = verifyPDF(t, base, contractPDF(t))
	require.Equal(t, "authentic", str(v, "verdict"), "the original upload is known: %v", v)
	require.Equal(t, false, at(v, "document", "final"))

	status, _ := send(t, http.MethodPost, base+"/v1/verify", "application/pdf", nil)
	require.Equal(t, http.StatusBadRequest, status)
}

func TestCertificatesAndStandaloneCertificate(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	env, _ := completedEnvelope(t, base)

	status, certs := getJSON(t, base+"/v1/certificates")
	require.Equal(t, http.StatusOK, status)
	block, _ := pem.Decode([]byte(str(certs, "ca_certificate_pem")))
	require.NotNil(t, block)
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.True(t, ca.IsCA)
	sum := sha256.Sum256(ca.Raw)
	require.Equal(t, hex.EncodeToString(sum[:]), str(certs, "ca_sha256"))

	status, cert := download(t, base+"/v1/envelopes/"+str(env, "id")+"/certificate")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "certificate.pdf")
	require.NoError(t, os.WriteFile(path, cert, 0o600))
	requireSealValid(t, path)
	text := pdfText(t, path, 1)
	require.Contains(t, text, "Certificate of completion")
	require.Contains(t, text, "ann@example.com")
	require.Contains(t, text, "envelope.completed", "the standalone certificate includes events after completion")
}
