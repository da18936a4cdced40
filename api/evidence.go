package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/models"
)

// Evidence seals what the API hands out and checks the seals of what it
// is given; internal/evidence implements it with the seal key.
type Evidence interface {
	Certificates() (caPEM []byte, caSHA256 string, chainPEM []byte)
	CertificateOfCompletion(ctx context.Context, env *models.Envelope, events []models.Event) ([]byte, error)
	VerifySeals(pdf []byte) []models.SealVerdict
	SignManifest(digest []byte) ([]byte, error)
}

// certificates publishes the seal's CA so verifiers can trust it.
func (s *Server) certificates(c *gin.Context) {
	ca, caSHA256, chain := s.Evidence.Certificates()
	c.JSON(http.StatusOK, gin.H{
		"ca_certificate_pem":   string(ca),
		"ca_sha256":            caSHA256,
		"seal_certificate_pem": string(chain),
	})
}

// certificateOfCompletion is the certificate alone, from the audit trail
// as it stands, sealed.
func (s *Server) certificateOfCompletion(c *gin.Context) {
	env, events := s.envelopeEvents(c)
	if env == nil {
		return
	}
	doc, err := s.Evidence.CertificateOfCompletion(c.Request.Context(), env, events)
	if err != nil {
		s.unavailable(c, "writing the certificate", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="certificate-`+env.ID+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", doc)
}

type sealVerdict struct {
	Verdict    string               `json:"verdict"`
	Summary    string               `json:"summary"`
	SHA256     string               `json:"sha256"`
	Document   *verifiedDocument    `json:"document,omitempty"`
	Signatures []models.SealVerdict `json:"signatures"`
	AuditTrail *verifyView          `json:"audit_trail,omitempty"`
}

type verifiedDocument struct {
	EnvelopeID string `json:"envelope_id"`
	DocumentID string `json:"document_id"`
	Name       string `json:"name"`
	Final      bool   `json:"final"`
}

// Verification verdicts.
const (
	verdictAuthentic = "authentic"
	verdictModified  = "modified"
	verdictUnknown   = "unknown"
)

// verifyDocument says whether a PDF is exactly a document Signflow
// produced, whether its seals hold, and whether its envelope's audit trail
// is intact. It takes the PDF as the body (application/pdf) or as a
// multipart file part.
func (s *Server) verifyDocument(c *gin.Context) {
	data, err := s.readPDFBody(c)
	if err != nil {
		problem(c, http.StatusBadRequest, "malformed-request", err.Error())
		return
	}
	sum := sha256.Sum256(data)
	v := sealVerdict{SHA256: hex.EncodeToString(sum[:]), Signatures: s.Evidence.VerifySeals(data)}
	doc, final, err := s.Store.DocumentBySHA256(c.Request.Context(), tenantID(c), v.SHA256)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		s.unavailable(c, "looking up the document", err)
		return
	default:
		v.Document = &verifiedDocument{EnvelopeID: doc.EnvelopeID, DocumentID: doc.ID, Name: doc.Name, Final: final}
		events, err := s.Store.Events(c.Request.Context(), doc.EnvelopeID)
		if err != nil {
			s.unavailable(c, "loading the audit trail", err)
			return
		}
		brk := models.VerifyChain(doc.EnvelopeID, events)
		v.AuditTrail = &verifyView{EnvelopeID: doc.EnvelopeID, Valid: brk == nil, Events: len(events), FirstInvalid: brk}
	}
	v.Verdict, v.Summary = judge(v)
	c.JSON(http.StatusOK, v)
}

// judge puts the findings in words for someone who is not an engineer.
func judge(v sealVerdict) (string, string) {
	for _, sig := range v.Signatures {
		if sig.Problem != "" {
			return verdictModified, "This file is not as Signflow sealed it: " + sig.Problem + "."
		}
	}
	switch {
	case v.Document != nil && v.AuditTrail != nil && !v.AuditTrail.Valid:
		return verdictModified, fmt.Sprintf("The document matches envelope %s, but that envelope's audit trail was altered at event %d.",
			v.Document.EnvelopeID, v.AuditTrail.FirstInvalid.Seq)
	case v.Document != nil && v.Document.Final:
		return verdictAuthentic, fmt.Sprintf("This is exactly the completed document %q of envelope %s, as Signflow produced it: not one byte differs, its seal is valid and its audit trail is intact.",
			v.Document.Name, v.Document.EnvelopeID)
	case v.Document != nil:
		return verdictAuthentic, fmt.Sprintf("This is exactly the original document %q uploaded for envelope %s (not the completed one).",
			v.Document.Name, v.Document.EnvelopeID)
	case len(v.Signatures) > 0:
		return verdictModified, "This file carries a valid Signflow seal but matches no completed document of yours: it may belong to another account."
	default:
		return verdictUnknown, "This file matches no document Signflow produced for you and carries no Signflow seal. If it should be a signed document, it has been changed."
	}
}

// maxPDFBody bounds a PDF sent to be verified, with room for a seal.
func (s *Server) maxPDFBody() int64 { return 2*s.Limits.MaxBytes + 10<<20 }

func (s *Server) readPDFBody(c *gin.Context) ([]byte, error) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.maxPDFBody())
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mediaType == "multipart/form-data" {
		c.Request.Body = body
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, fmt.Errorf("send the PDF as a multipart part named \"file\", or as the body with Content-Type application/pdf")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("read the uploaded file: %w", err)
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("the PDF could not be read (at most %d bytes): %w", s.maxPDFBody(), err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("send the PDF to verify as the request body (Content-Type application/pdf)")
	}
	return data, nil
}
