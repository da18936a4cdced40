package seal_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/signflow/signflow/internal/keys/seal"
)

func contract(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "testdata", "contract.pdf"))
	require.NoError(t, err)
	return data
}

// pdfsig runs poppler's independent verifier: it exits 0 even for a bad
// signature, so its words are what count.
func pdfsig(t *testing.T, doc []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		t.Fatal("pdfsig is needed to check seals independently: apt-get install poppler-utils")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, doc, 0o600))
	out, _ := exec.Command("pdfsig", path).CombinedOutput()
	return string(out)
}

func TestSealIsValidAndTamperIsCaught(t *testing.T) {
	s, err := seal.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	sealed, err := s.Seal(contract(t), seal.Info{Reason: "test", Date: time.Now()})
	require.NoError(t, err)

	out := pdfsig(t, sealed)
	require.Contains(t, out, "Signature is Valid.")
	require.Contains(t, out, "Total document signed")
	verdicts := s.Verify(sealed)
	require.Len(t, verdicts, 1)
	require.True(t, verdicts[0].Valid && verdicts[0].ByThisSignflow && verdicts[0].CoversWholeFile, "%+v", verdicts[0])

	// One changed byte inside the signed range.
	tampered := append([]byte(nil), sealed...)
	i := strings.Index(string(tampered), "/Type /Page")
	tampered[i+7] ^= 0x01
	require.NotContains(t, pdfsig(t, tampered), "Signature is Valid.")
	verdicts = s.Verify(tampered)
	require.Len(t, verdicts, 1)
	require.False(t, verdicts[0].Valid)

	// Another Signflow's seal is valid but not ours.
	other, err := seal.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	verdicts = other.Verify(sealed)
	require.True(t, verdicts[0].Valid)
	require.False(t, verdicts[0].ByThisSignflow)

	require.Empty(t, s.Verify(contract(t)), "an unsigned document has no signatures")
}

func TestConcurrentFirstStartsAgreeOnOneSeal(t *testing.T) {
	dir := t.TempDir()
	sealers := make([]*seal.Sealer, 4)
	var wg sync.WaitGroup
	for i := range sealers {
		wg.Go(func() {
			s, err := seal.LoadOrCreate(dir)
			require.NoError(t, err)
			sealers[i] = s
		})
	}
	wg.Wait()
	for _, s := range sealers[1:] {
		require.Equal(t, sealers[0].Cert.Raw, s.Cert.Raw)
	}
}

func TestSealWithAConfiguredPKCS12Bundle(t *testing.T) {
	generated, err := seal.LoadOrCreate(t.TempDir())
	require.NoError(t, err)
	bundle, err := pkcs12.Modern.Encode(generated.Key, generated.Cert, []*x509.Certificate{generated.CA}, "s3cret")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "seal.p12")
	require.NoError(t, os.WriteFile(path, bundle, 0o600))

	_, err = seal.LoadPKCS12(path, "wrong")
	require.Error(t, err)
	s, err := seal.LoadPKCS12(path, "s3cret")
	require.NoError(t, err)
	sealed, err := s.Seal(contract(t), seal.Info{Reason: "test", Date: time.Now()})
	require.NoError(t, err)
	require.Contains(t, pdfsig(t, sealed), "Signature is Valid.")
	require.True(t, s.Verify(sealed)[0].ByThisSignflow)
}

// A generated CA's revocation list, current for the seal certificate's
// life, is what a verifier needs after that certificate has expired; the
// CA's key is kept apart, in a file no process reads. A configured bundle,
// whose CA is the operator's, gives the chain alone.
func TestValidationDataForLongTermVerification(t *testing.T) {
	dir := t.TempDir()
	s, err := seal.LoadOrCreate(dir)
	require.NoError(t, err)
	again, err := seal.LoadOrCreate(dir)
	require.NoError(t, err)
	now := time.Now()
	certs, crls, err := again.ValidationData(now)
	require.NoError(t, err)
	require.Equal(t, [][]byte{s.Cert.Raw, s.CA.Raw}, certs)
	require.Len(t, crls, 1, "the revocation list is kept in seal.pem")
	crl, err := x509.ParseRevocationList(crls[0])
	require.NoError(t, err)
	require.NoError(t, crl.CheckSignatureFrom(s.CA))
	require.Empty(t, crl.RevokedCertificateEntries)
	require.False(t, crl.ThisUpdate.After(now))
	require.Equal(t, s.Cert.NotAfter, crl.NextUpdate, "current for the seal certificate's life")

	runtime, err := os.ReadFile(filepath.Join(dir, seal.FileName))
	require.NoError(t, err)
	require.NotContains(t, string(runtime), "CA PRIVATE KEY", "what the processes load holds no CA key")
	caKey, err := os.ReadFile(filepath.Join(dir, seal.CAKeyFileName))
	require.NoError(t, err)
	require.Contains(t, string(caKey), "SIGNFLOW CA PRIVATE KEY")

	bundle, err := pkcs12.Modern.Encode(s.Key, s.Cert, []*x509.Certificate{s.CA}, "pw")
	require.NoError(t, err)
	configured, err := seal.ParsePKCS12(bundle, "pw")
	require.NoError(t, err)
	certs, crls, err = configured.ValidationData(now)
	require.NoError(t, err)
	require.Len(t, certs, 2)
	require.Empty(t, crls)
}

// A seal.pem generated when the CA key was kept in it is split on load:
// the key moves to its own file, a revocation list takes its place, and
// the seal is unchanged.
func TestAnOldSealFileGivesUpItsCAKey(t *testing.T) {
	dir := t.TempDir()
	s, err := seal.LoadOrCreate(dir)
	require.NoError(t, err)
	runtime, err := os.ReadFile(filepath.Join(dir, seal.FileName))
	require.NoError(t, err)
	caKey, err := os.ReadFile(filepath.Join(dir, seal.CAKeyFileName))
	require.NoError(t, err)
	var old []byte
	for block, rest := pem.Decode(runtime); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "X509 CRL" {
			old = append(old, pem.EncodeToMemory(block)...)
		}
	}
	old = append(old, caKey...)
	require.NoError(t, os.WriteFile(filepath.Join(dir, seal.FileName), old, 0o600))
	require.NoError(t, os.Remove(filepath.Join(dir, seal.CAKeyFileName)))

	loaded, err := seal.LoadOrCreate(dir)
	require.NoError(t, err)
	require.Equal(t, s.Cert.Raw, loaded.Cert.Raw)
	_, crls, err := loaded.ValidationData(time.Now())
	require.NoError(t, err)
	require.Len(t, crls, 1)
	rewritten, err := os.ReadFile(filepath.Join(dir, seal.FileName))
	require.NoError(t, err)
	require.NotContains(t, string(rewritten), "CA PRIVATE KEY")
	moved, err := os.ReadFile(filepath.Join(dir, seal.CAKeyFileName))
	require.NoError(t, err)
	require.Equal(t, caKey, moved)
}
