package models

import "encoding/json"

// Attachment is a file a signer attached to an attachment field, as the
// field's value records it: the file itself is a blob beside the
// documents, under the value's ImageKey.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	SizeBytes   int    `json:"size_bytes"`
	SHA256      string `json:"sha256"`
}

// ParseAttachment reads an attachment field's stored value.
func ParseAttachment(value string) (Attachment, bool) {
	var a Attachment
	err := json.Unmarshal([]byte(value), &a)
	return a, err == nil && a.SHA256 != ""
}

// Details are what the audit trail records of an attachment: everything
// but its content, which the SHA-256 identifies.
func (a Attachment) Details(fieldID string) map[string]any {
	return map[string]any{"field_id": fieldID, "name": a.Name, "content_type": a.ContentType, "size_bytes": a.SizeBytes, "sha256": a.SHA256}
}
