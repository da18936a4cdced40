package tests

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
)

// timestampAuthority is an RFC 3161 timestamp authority for the tests: its
// own CA, and a certificate for time stamping only, as a real TSA's.
type timestampAuthority struct {
	url     string
	caPEM   []byte
	answers atomic.Int64
}

func startTimestampAuthority(t *testing.T) *timestampAuthority {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test TSA Root", Organization: []string{"Signflow tests"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err = x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	// RFC 3161 section 2.3: the one extended key usage, marked critical.
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Timestamp Authority", Organization: []string{"Signflow tests"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	leaf, err = x509.ParseCertificate(leafDER)
	require.NoError(t, err)

	tsa := &timestampAuthority{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if r.Header.Get("Content-Type") != "application/timestamp-query" || err != nil {
			http.Error(w, "want an RFC 3161 timestamp query", http.StatusBadRequest)
			return
		}
		answer := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now().UTC(),
			Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Accuracy: time.Second,
			AddTSACertificate: true, Qualified: false}
		resp, err := answer.CreateResponseWithOpts(leaf, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		tsa.answers.Add(1)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	tsa.url = srv.URL
	return tsa
}

// timestampToken takes the seal's signature out of the PDF (the bytes the
// /ByteRange leaves out) and returns its RFC 3161 token and the SHA-256 of
// the signature value the token must vouch for.
func timestampToken(t *testing.T, doc []byte) (token []byte, imprint []byte) {
	t.Helper()
	ranges := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindAllSubmatch(doc, -1)
	require.NotEmpty(t, ranges, "the PDF is sealed")
	last := ranges[len(ranges)-1]
	gapStart, _ := strconv.Atoi(string(last[2]))
	gapEnd, _ := strconv.Atoi(string(last[3]))
	hexContents := regexp.MustCompile(`[0-9A-Fa-f]+`).Find(doc[gapStart:gapEnd])
	der, err := hex.DecodeString(string(hexContents))
	require.NoError(t, err)
	p7, err := pkcs7.Parse(der)
	require.NoError(t, err)
	require.Len(t, p7.Signers, 1)
	tokenOID := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14} // id-aa-timeStampToken
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		if a.Type.Equal(tokenOID) {
			sum := sha256.Sum256(p7.Signers[0].EncryptedDigest)
			return a.Value.Bytes, sum[:]
		}
	}
	t.Fatal("the seal carries no timestamp token")
	return nil, nil
}

// With a timestamp authority configured, every seal carries its token: openssl
// verifies it independently against the signature, pdfsig accepts the seal,
// and /v1/verify reports the authority's time.
func TestSealsCarryATrustedTimestamp(t *testing.T) {
	t.Parallel()
	requireTool(t, "openssl")
	tsa := startTimestampAuthority(t)
	sealer := *suite.deps.Seal
	sealer.TSAURL = tsa.url
	d := suite.deps
	d.Seal = &sealer
	queue := "tsa-" + newTestID()
	startWorker(t, d, testSettings(queue))
	base := serveAPI(t, d, testSettings(queue))

	before := time.Now().Add(-time.Second)
	_, final := completedEnvelope(t, base)
	require.Positive(t, tsa.answers.Load(), "the seal asked the authority")

	dir := t.TempDir()
	finalPath := filepath.Join(dir, "final.pdf")
	require.NoError(t, os.WriteFile(finalPath, final, 0o600))
	// pdfsig 22.12 accepts the seal with its token; it prints no timestamp
	// details, so openssl checks the token itself.
	requireSealValid(t, finalPath)

	token, imprint := timestampToken(t, final)
	tokenPath, caPath := filepath.Join(dir, "token.der"), filepath.Join(dir, "tsa-ca.pem")
	require.NoError(t, os.WriteFile(tokenPath, token, 0o600))
	require.NoError(t, os.WriteFile(caPath, tsa.caPEM, 0o600))
	out, err := exec.Command("openssl", "ts", "-verify", "-token_in", "-in", tokenPath, "-digest", hex.EncodeToString(imprint),
		"-sha256", "-CAfile", caPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Verification: OK")
	out, err = exec.Command("openssl", "ts", "-reply", "-token_in", "-in", tokenPath, "-text").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Test Timestamp Authority")

	v := verifyPDF(t, base, final)
	require.Equal(t, "authentic", str(v, "verdict"), "%v", v)
	stamped, err := time.Parse(time.RFC3339Nano, str(v, "signatures", 0, "timestamped_at"))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), stamped, time.Since(before)+time.Second)
	require.Contains(t, str(v, "signatures", 0, "timestamped_by"), "Test Timestamp Authority")

	// PAdES B-LT: the document's security store holds the seal's chain and
	// a revocation list of its CA, under the seal; openssl checks with them
	// alone that the seal certificate was valid and not revoked at the
	// authority's time.
	store, err := pdf.SecurityStore(final)
	require.NoError(t, err)
	require.NotNil(t, store, "the catalog has a /DSS")
	certs, crls := store.Certs, store.CRLs
	require.Len(t, certs, 2)
	require.Len(t, crls, 1)
	require.Equal(t, true, at(v, "signatures", 0, "long_term_validation"))
	_, published := getJSON(t, base+"/v1/certificates")
	caPEM := str(published, "ca_certificate_pem")
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte(caPEM), 0o600))
	sealPath, crlPath := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "crl.pem")
	require.NoError(t, os.WriteFile(sealPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[0]}), 0o600))
	require.NoError(t, os.WriteFile(crlPath, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crls[0]}), 0o600))
	out, err = exec.Command("openssl", "crl", "-in", crlPath, "-CAfile", ca, "-noout").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "verify OK")
	out, err = exec.Command("openssl", "verify", "-CAfile", ca, "-CRLfile", crlPath, "-crl_check", "-purpose", "any",
		"-attime", strconv.FormatInt(stamped.Unix(), 10), sealPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), ": OK")
}
