// Package evidence is the sealed evidence the API hands out and checks:
// the certificate of completion on demand, the seals of an uploaded PDF,
// the certificates verifiers trust and the signature over an audit export.
// The seal key is used here, behind the API's Evidence interface.
package evidence

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/certificate"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/seal"
	"github.com/signflow/signflow/models"
)

// Service seals with Seal and reads documents from Blobs.
type Service struct {
	Seal  *seal.Sealer
	Blobs blob.Store
}

// Certificates are the CA verifiers trust, its SHA-256, and the seal
// certificate chain, PEM-encoded.
func (s *Service) Certificates() (caPEM []byte, caSHA256 string, chainPEM []byte) {
	sum := sha256.Sum256(s.Seal.CA.Raw)
	return s.Seal.CAPEM(), hex.EncodeToString(sum[:]), s.Seal.ChainPEM()
}

// CertificateOfCompletion is the envelope's certificate alone, from the
// audit trail as it stands, sealed.
func (s *Service) CertificateOfCompletion(ctx context.Context, env *models.Envelope, events []models.Event) ([]byte, error) {
	data, err := certificate.Build(env, events, func(k string) ([]byte, error) { return s.Blobs.Get(ctx, k) })
	if err != nil {
		return nil, fmt.Errorf("gather the certificate of envelope %s: %w", env.ID, err)
	}
	// Drawn on the first document's pages, so it has its page size; on a
	// blank A4 once the documents are deleted (retention, erasure).
	base, pages := pdf.BlankA4(), []models.Page{pdf.A4}
	if env.DocumentsDeletedAt == nil {
		if base, err = blob.GetChecked(ctx, s.Blobs, blob.OriginalKey(env.ID, env.Documents[0].ID), env.Documents[0].SHA256); err != nil {
			return nil, fmt.Errorf("read the first document of envelope %s: %w", env.ID, err)
		}
		pages = env.Documents[0].Pages
	}
	doc, err := certificate.Standalone(base, pages, data)
	if err != nil {
		return nil, fmt.Errorf("write the certificate of envelope %s: %w", env.ID, err)
	}
	return s.Seal.Seal(doc, seal.Info{Reason: "Certificate of completion, envelope " + env.ID, Date: time.Now()})
}

// VerifySeals checks every seal embedded in a PDF; none is an empty list.
func (s *Service) VerifySeals(pdf []byte) []models.SealVerdict {
	if v := s.Seal.Verify(pdf); v != nil {
		return v
	}
	return []models.SealVerdict{}
}

// SignManifest signs the SHA-256 digest of an export's manifest with the
// seal key (ECDSA, ASN.1), so the export verifies with openssl alone.
func (s *Service) SignManifest(digest []byte) ([]byte, error) {
	sig, err := s.Seal.Key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	return sig, nil
}
