// Package seal puts Signflow's digital signature (PAdES, adbe.pkcs7.detached)
// on completed documents and checks signatures on PDFs brought back for
// verification. The signing key is a document-signing certificate issued
// by a Signflow CA generated on first start, or a PKCS#12 bundle from
// configuration.
package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pdfsign/verify"
	"software.sslmate.com/src/go-pkcs12"

	sfpdf "github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/platform/createonce"
	"github.com/signflow/signflow/models"
)

// Sealer signs documents with one key.
type Sealer struct {
	Key    crypto.Signer
	Cert   *x509.Certificate // the signing certificate
	CA     *x509.Certificate // the CA that issued it
	TSAURL string            // optional RFC 3161 timestamp authority
	// crl is the generated CA's revocation list, issued with the seal
	// certificate for its whole life, which a verifier needs once the
	// certificate has expired. The CA's key is not here: no process that
	// runs needs it, so none that is broken into can issue certificates
	// that pass as this Signflow's.
	crl []byte
}

// caKeyBlock is the PEM type of the generated CA's key, in CAKeyFileName.
const caKeyBlock = "SIGNFLOW CA PRIVATE KEY"

// CAKeyFileName is the file, beside FileName, that holds the generated
// CA's key. No process reads it: keep it offline, to issue a new seal
// certificate or revocation list.
const CAKeyFileName = "seal-ca.key"

const crlBlock = "X509 CRL"

// ValidationData is what a verifier needs to check a seal after its
// certificate has expired (PAdES B-LT): the chain, DER, and the generated
// CA's revocation list, which does not revoke the seal certificate; with a
// configured bundle, whose CA is the operator's, the chain alone.
func (s *Sealer) ValidationData(time.Time) (certs, crls [][]byte, err error) {
	certs = [][]byte{s.Cert.Raw, s.CA.Raw}
	if s.crl == nil {
		return certs, nil, nil
	}
	return certs, [][]byte{s.crl}, nil
}

// documentSigning is the RFC 9336 extended key usage for document signing.
var documentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// FileName is the PEM file, under the data directory, holding the
// generated CA certificate, signing certificate and signing key.
const FileName = "seal.pem"

// LoadPKCS12 reads a signing key and its chain from a PKCS#12 bundle.
func LoadPKCS12(path, password string) (*Sealer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seal bundle: %w", err)
	}
	s, err := ParsePKCS12(data, password)
	if err != nil {
		return nil, fmt.Errorf("seal bundle %s: %w", path, err)
	}
	return s, nil
}

// ParsePKCS12 reads a signing key and its chain from PKCS#12 bytes, such as
// a bundle passed in an environment variable.
func ParsePKCS12(data []byte, password string) (*Sealer, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("decode PKCS#12: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok || len(chain) == 0 {
		return nil, errors.New("the PKCS#12 bundle needs a signing key and its CA certificate")
	}
	return &Sealer{Key: signer, Cert: cert, CA: chain[len(chain)-1]}, nil
}

// LoadOrCreate reads dir/seal.pem, creating a new CA and signing
// certificate there on first start. Processes starting together agree on
// one: the file appears atomically and the loser loads the winner's.
//
// The generated CA's key goes to CAKeyFileName, which is never read; a
// seal.pem from before that, which held it, is split on load.
func LoadOrCreate(dir string) (*Sealer, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := create(dir); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read seal: %w", err)
	}
	if bytes.Contains(data, []byte("BEGIN "+caKeyBlock)) {
		if data, err = split(dir, data); err != nil {
			return nil, err
		}
	}
	return parse(data)
}

func create(dir string) error {
	runtime, caKey, err := generate()
	if err != nil {
		return err
	}
	if err := createonce.File(filepath.Join(dir, CAKeyFileName), caKey); err != nil {
		return err
	}
	return createonce.File(filepath.Join(dir, FileName), runtime)
}

// split moves the CA key out of a seal.pem that held it, leaving in its
// place the revocation list the key would have issued.
func split(dir string, data []byte) ([]byte, error) {
	var kept, caKey bytes.Buffer
	var ca *x509.Certificate
	var certs []*x509.Certificate
	var signer crypto.Signer
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case caKeyBlock:
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse CA key: %w", err)
			}
			var ok bool
			if signer, ok = k.(crypto.Signer); !ok {
				return nil, errors.New("CA key cannot sign")
			}
			_ = pem.Encode(&caKey, block)
			continue
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse seal certificate: %w", err)
			}
			certs = append(certs, c)
		}
		_ = pem.Encode(&kept, block)
	}
	if len(certs) != 2 {
		return nil, errors.New("seal file must hold the signing certificate and the CA certificate")
	}
	ca = certs[1]
	crl, err := issueCRL(certs[0], ca, signer)
	if err != nil {
		return nil, err
	}
	_ = pem.Encode(&kept, &pem.Block{Type: crlBlock, Bytes: crl})
	if err := createonce.File(filepath.Join(dir, CAKeyFileName), caKey.Bytes()); err != nil {
		return nil, err
	}
	if err := replace(filepath.Join(dir, FileName), kept.Bytes()); err != nil {
		return nil, err
	}
	return kept.Bytes(), nil
}

// issueCRL is the CA's revocation list revoking nothing, current for the
// seal certificate's whole life.
func issueCRL(cert, ca *x509.Certificate, caKey crypto.Signer) ([]byte, error) {
	now := time.Now().UTC()
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-time.Hour), NextUpdate: cert.NotAfter}, ca, caKey)
	if err != nil {
		return nil, fmt.Errorf("issue revocation list: %w", err)
	}
	return crl, nil
}

// replace writes data to path atomically, over what is there.
func replace(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".replace-*")
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// generate makes an ECDSA P-256 CA (20 years), a document-signing
// certificate it issues (5 years) and a revocation list for that life, as
// PEM: what the processes load, and the CA's key apart.
func generate() (runtime, caKeyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now().UTC()
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{Organization: []string{"Signflow"}, CommonName: "Signflow Seal CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate seal key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{Organization: []string{"Signflow"}, CommonName: "Signflow Document Seal"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{documentSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create seal certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode seal key: %w", err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("encode CA key: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	crl, err := issueCRL(cert, ca, caKey)
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	for _, b := range []*pem.Block{{Type: "CERTIFICATE", Bytes: der}, {Type: "CERTIFICATE", Bytes: caDER}, {Type: "PRIVATE KEY", Bytes: keyDER},
		{Type: crlBlock, Bytes: crl}} {
		_ = pem.Encode(&out, b)
	}
	return out.Bytes(), pem.EncodeToMemory(&pem.Block{Type: caKeyBlock, Bytes: caKeyDER}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}

func parse(data []byte) (*Sealer, error) {
	var certs []*x509.Certificate
	var key crypto.Signer
	var crl []byte
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse seal certificate: %w", err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse seal key: %w", err)
			}
			signer, ok := k.(crypto.Signer)
			if !ok {
				return nil, errors.New("seal key cannot sign")
			}
			key = signer
		case crlBlock: // seal files generated before the CA key left them have none
			crl = block.Bytes
		}
	}
	if len(certs) != 2 || key == nil {
		return nil, errors.New("seal file must hold the signing certificate, the CA certificate and the key")
	}
	return &Sealer{Key: key, Cert: certs[0], CA: certs[1], crl: crl}, nil
}

// CAPEM is the CA certificate that verifiers trust.
func (s *Sealer) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.CA.Raw})
}

// ChainPEM is the signing certificate followed by its CA.
func (s *Sealer) ChainPEM() []byte {
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Cert.Raw}), s.CAPEM()...)
}

// Info describes a seal for viewers that show signature details.
type Info struct {
	Reason   string
	Location string
	Date     time.Time
}

// Seal signs the whole document as an incremental update. It must be the
// last change to the bytes: anything rewriting the file afterwards breaks it.
func (s *Sealer) Seal(doc []byte, info Info) ([]byte, error) {
	rdr, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return nil, fmt.Errorf("read document to seal: %w", err)
	}
	// The sealed file is the document and a signature of a few kilobytes.
	out := bytes.NewBuffer(make([]byte, 0, len(doc)+64<<10))
	err = sign.Sign(bytes.NewReader(doc), out, rdr, int64(len(doc)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{
				Name: "Signflow", Reason: info.Reason, Location: info.Location, Date: info.Date,
			},
			CertType:   sign.CertificationSignature,
			DocMDPPerm: sign.DoNotAllowAnyChangesPerms,
		},
		Signer:            s.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       s.Cert,
		CertificateChains: [][]*x509.Certificate{{s.Cert, s.CA}},
		TSA:               sign.TSA{URL: s.TSAURL},
	})
	if err != nil {
		return nil, fmt.Errorf("seal document: %w", err)
	}
	return out.Bytes(), nil
}

var byteRange = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// Verify checks every signature in doc: cryptographically valid, made with
// a certificate this Signflow's CA issued, and covering the whole file.
// It never reaches the network.
func (s *Sealer) Verify(doc []byte) []models.SealVerdict {
	ranges := byteRange.FindAllSubmatch(doc, -1)
	if len(ranges) == 0 {
		return nil // no signatures at all
	}
	opts := verify.DefaultVerifyOptions()
	opts.AllowUntrustedRoots = true // trust is decided below, against our CA
	opts.TrustSignatureTime = true
	resp, err := verify.VerifyWithOptions(bytes.NewReader(doc), int64(len(doc)), opts)
	if resp == nil || len(resp.Signers) == 0 {
		// Signed, but damaged beyond reading: that is a change too.
		broken := make([]models.SealVerdict, len(ranges))
		for i := range broken {
			broken[i].Problem = fmt.Sprintf("the file was changed after signing and its signature can no longer be read (%v)", err)
		}
		return broken
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.CA)
	store, _ := sfpdf.SecurityStore(doc) // none, or unreadable: no long-term data
	var verdicts []models.SealVerdict
	for i, signer := range resp.Signers {
		v := models.SealVerdict{Signer: signer.Name, Valid: signer.ValidSignature}
		if signer.SignatureTime != nil {
			v.SignedAt = *signer.SignatureTime
		}
		// An RFC 3161 token whose imprint matches the signature: the time a
		// timestamp authority vouches for, not only our clock.
		if ts := signer.TimeStamp; ts != nil && !ts.Time.IsZero() {
			v.TimestampedAt = ts.Time.UTC()
			if len(ts.Certificates) > 0 {
				v.TimestampedBy = ts.Certificates[0].Subject.String()
			}
		}
		if len(signer.Certificates) > 0 {
			cert := signer.Certificates[0].Certificate
			_, chainErr := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: v.SignedAt})
			v.ByThisSignflow = chainErr == nil
		}
		if store != nil && len(store.CRLs) > 0 && len(signer.Certificates) > 0 {
			v.LongTermValidation = slices.ContainsFunc(store.Certs, func(der []byte) bool {
				return bytes.Equal(der, signer.Certificates[0].Certificate.Raw)
			})
		}
		if i < len(ranges) {
			start, _ := strconv.Atoi(string(ranges[i][1]))
			off, _ := strconv.Atoi(string(ranges[i][3]))
			n, _ := strconv.Atoi(string(ranges[i][4]))
			v.CoversWholeFile = start == 0 && off+n == len(doc)
		}
		switch {
		case !v.Valid:
			v.Problem = "the signed bytes were changed after signing"
		case !v.ByThisSignflow:
			v.Problem = "the signature was not made by this Signflow's seal"
		case !v.CoversWholeFile:
			v.Problem = "content was added to the file after it was signed"
		}
		verdicts = append(verdicts, v)
	}
	return verdicts
}
