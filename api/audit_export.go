package api

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/models"
)

// exportReadme travels inside every bundle, so it can be checked without us.
const exportReadme = `Signflow audit trail export

Verify it with tar, openssl and sha256sum only (tests/verify-export.sh in
the Signflow repository does exactly this):

1. Get the Signflow CA certificate independently (GET /v1/certificates),
   save it as ca.pem, and check that the seal certificate (the first in
   seal-chain.pem) was issued by it:
     openssl verify -CAfile ca.pem seal.pem
2. Check the manifest's signature with that certificate's public key:
     openssl x509 -in seal.pem -pubkey -noout > seal-pub.pem
     openssl dgst -sha256 -verify seal-pub.pem -signature MANIFEST.sha256.sig MANIFEST.sha256
3. Check every file against the manifest:
     sha256sum -c MANIFEST.sha256
4. Recompute the hash chain: line n of events.jsonl is the exact text event
   n's hash covers; hash(n) = SHA-256(hash(n-1) || line n), hash(0) being the
   envelope ID in envelope-id.txt; hashes.txt lists "seq hash" per event:
     printf '%s%s' "$previous_hash" "$line" | sha256sum
5. documents.sha256 lists the SHA-256 of each original and final document:
   run sha256sum -c documents.sha256 beside the PDFs to check them.
`

type tarFile struct {
	name string
	data []byte
}

// exportAudit answers with the self-contained, signed audit bundle.
func (s *Server) exportAudit(c *gin.Context) {
	env, events := s.envelopeEvents(c)
	if env == nil {
		return
	}
	files, err := s.exportFiles(env, events)
	if err != nil {
		s.unavailable(c, "building the audit export", err)
		return
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: env.UpdatedAt, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			s.unavailable(c, "writing the audit export", err)
			return
		}
		_, _ = tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		s.unavailable(c, "writing the audit export", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="audit-`+env.ID+`.tar"`)
	c.Data(http.StatusOK, "application/x-tar", buf.Bytes())
}

func (s *Server) exportFiles(env *models.Envelope, events []models.Event) ([]tarFile, error) {
	var lines, hashes, docs bytes.Buffer
	for _, e := range events {
		body, err := models.CanonicalJSON(e)
		if err != nil {
			return nil, err
		}
		lines.Write(append(body, '\n'))
		fmt.Fprintf(&hashes, "%d %s\n", e.Seq, e.Hash)
	}
	for _, d := range env.Documents {
		fmt.Fprintf(&docs, "%s  %s\n", d.SHA256, safeName(d.Name))
		if d.FinalSHA256 != "" {
			fmt.Fprintf(&docs, "%s  %s\n", d.FinalSHA256, safeName(strings.TrimSuffix(d.Name, ".pdf")+"-signed.pdf"))
		}
	}
	_, _, chain := s.Evidence.Certificates()
	summary, err := json.MarshalIndent(s.envelopeView(env), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode envelope: %w", err)
	}
	files := []tarFile{
		{"README.txt", []byte(exportReadme)},
		{"envelope-id.txt", []byte(env.ID + "\n")},
		{"envelope.json", append(summary, '\n')},
		{"events.jsonl", lines.Bytes()},
		{"hashes.txt", hashes.Bytes()},
		{"documents.sha256", docs.Bytes()},
		{"seal-chain.pem", chain},
	}
	var manifest bytes.Buffer
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&manifest, "%s  %s\n", hex.EncodeToString(sum[:]), f.name)
	}
	digest := sha256.Sum256(manifest.Bytes())
	sig, err := s.Evidence.SignManifest(digest[:])
	if err != nil {
		return nil, err
	}
	return append(files, tarFile{"MANIFEST.sha256", manifest.Bytes()}, tarFile{"MANIFEST.sha256.sig", sig}), nil
}

// safeName keeps a document name on one line of a sha256sum file.
func safeName(name string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", "\\", "_").Replace(name)
}
