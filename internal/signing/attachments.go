package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/imagecheck"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

// Bounds of a signer's attachment.
const (
	// MaxAttachmentBytes caps one attachment; the sign request's body cap
	// leaves room for it in base64.
	MaxAttachmentBytes = 5 << 20
	maxAttachmentPages = 100
	maxAttachmentName  = 200
)

// attachedImage bounds a photo or scan: 16 megapixels of 8-bit colour.
var attachedImage = imagecheck.Budget{MaxSide: 10_000, MaxDecodedBytes: 64 << 20}

// AttachmentInput is a file a signer attaches to an attachment field.
type AttachmentInput struct {
	Name          string `json:"name"`
	ContentBase64 string `json:"content_base64"`
}

// checkAttachment validates an upload: a PDF passes the same intake as a
// document, an image must decode within bounds; anything else is refused.
func checkAttachment(ctx context.Context, env *models.Envelope, f models.Field, v ValueInput) (fv models.FieldValue, data []byte, msg string) {
	fv.FieldID = f.ID
	if v.Attachment == nil {
		if v.Text != "" || v.ImagePNGBase64 != "" || v.Checked != nil {
			return fv, nil, fmt.Sprintf("%s takes \"attachment\": {\"name\", \"content_base64\"}", describeField(f))
		}
		return fv, nil, ""
	}
	if v.Text != "" || v.ImagePNGBase64 != "" || v.Checked != nil {
		return fv, nil, fmt.Sprintf("%s takes only \"attachment\"", describeField(f))
	}
	name := path.Base(strings.ReplaceAll(strings.TrimSpace(v.Attachment.Name), "\\", "/"))
	if name == "" || name == "." || name == "/" || utf8.RuneCountInString(name) > maxAttachmentName {
		return fv, nil, fmt.Sprintf("give the attachment of %s a file name of 1 to %d characters", describeField(f), maxAttachmentName)
	}
	data, err := base64.StdEncoding.DecodeString(v.Attachment.ContentBase64)
	if err != nil || len(data) == 0 || len(data) > MaxAttachmentBytes {
		return fv, nil, fmt.Sprintf("the attachment of %s must be base64 of 1 to %d bytes", describeField(f), MaxAttachmentBytes)
	}
	contentType, ext, problem := sniffAttachment(ctx, data)
	if problem != "" {
		return fv, nil, fmt.Sprintf("the attachment of %s is refused: %s", describeField(f), problem)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	a := models.Attachment{Name: name, ContentType: contentType, SizeBytes: len(data), SHA256: digest}
	stored, _ := json.Marshal(a)
	fv.Text, fv.ImageKey = string(stored), blob.AttachmentKey(env.ID, f.ID, digest[:16], ext)
	return fv, data, ""
}

// sniffAttachment names a file's type from its bytes, not its name.
func sniffAttachment(ctx context.Context, data []byte) (contentType, ext, problem string) {
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		if _, err := pdf.Inspect(data, pdf.Limits{MaxBytes: MaxAttachmentBytes, MaxPages: maxAttachmentPages}); err != nil {
			return "", "", err.Error()
		}
		return "application/pdf", "pdf", ""
	}
	format, _, err := imagecheck.Check(ctx, data, attachedImage, "png", "jpeg")
	if err != nil {
		return "", "", "attach a PDF, PNG or JPEG file (" + refusal(err) + ")"
	}
	if format == "png" {
		return "image/png", "png", ""
	}
	return "image/jpeg", "jpg", ""
}
