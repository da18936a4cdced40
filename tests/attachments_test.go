package tests

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var attachmentBox = box{0.55, 0.78, 0.35, 0.03}

// TestSignersAttachFilesTheSenderDownloads: an attachment field takes a
// PDF (checked like a document) or an image; anything else, or a damaged
// PDF, is refused naming the field. The file is stored, hashed in the
// audit trail, listed on the certificate, named in its box on the final
// PDF, given back in form data and downloadable by the sender alone.
func TestSignersAttachFilesTheSenderDownloads(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	spec := jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig),
		func() J { f := fieldAt(0, "attachment", 1, attachmentBox); f["name"] = "proof_of_address"; return f }()})
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, link := str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	sigID, fileID := str(created, "fields", 0, "id"), str(created, "fields", 1, "id")
	values := func(name string, data []byte) J {
		return J{"values": []J{{"field_id": sigID, "text": "Alice"},
			{"field_id": fileID, "attachment": J{"name": name, "content_base64": base64.StdEncoding.EncodeToString(data)}}}}
	}
	pdf := contractPDF(t)
	for _, bad := range []struct {
		name string
		data []byte
		says string
	}{
		{"notes.gif", []byte("GIF89a not really"), "PDF, PNG or JPEG"},
		{"cut.pdf", pdf[:len(pdf)/2], "proof_of_address"},
		{"", pdf, "file name"},
	} {
		status, problem := postAs(t, link, "/sign", values(bad.name, bad.data))
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s: %v", bad.name, problem)
		require.Equal(t, "values[1]", str(problem, "errors", 0, "field"))
		require.Contains(t, str(problem, "errors", 0, "message"), bad.says)
	}
	status, problem := postAs(t, link, "/sign", J{"values": []J{{"field_id": sigID, "text": "Alice"}}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a required attachment: %v", problem)

	status, signed := postAs(t, link, "/sign", values("../../etc/lease.pdf", pdf))
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])

	status, file := download(t, suite.apiURL+"/v1/envelopes/"+id+"/attachments/"+fileID)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, pdf, file)
	status, _ = download(t, suite.apiURL+"/v1/envelopes/"+id+"/attachments/"+sigID)
	require.Equal(t, http.StatusNotFound, status, "a signature is not an attachment")
	req, err := http.NewRequest(http.MethodGet, suite.apiURL+"/v1/envelopes/"+id+"/attachments/"+fileID, nil)
	require.NoError(t, err)
	other, err := issueToken(t.Context(), "another-tenant-"+newTestID(), "envelopes:read")
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+other)
	require.Equal(t, http.StatusNotFound, roundTrip(t, req).status, "another tenant cannot read it")

	_, form := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/form-data")
	require.Equal(t, J{"name": "lease.pdf", "content_type": "application/pdf", "size_bytes": float64(len(pdf)), "sha256": digest},
		at(form, "fields", 1, "value"), "the name is the file's own, without its path")

	_, audit := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/audit")
	found := false
	for _, e := range at(audit, "events").([]any) {
		if str(e, "type") == "attachment.uploaded" {
			found = true
			require.Equal(t, digest, str(e, "details", "sha256"))
		}
	}
	require.True(t, found, "the attachment's hash is in the audit trail")

	dir := t.TempDir()
	status, cert := download(t, suite.apiURL+"/v1/envelopes/"+id+"/certificate")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "certificate.pdf"), cert, 0o600))
	text := strings.Join(strings.Fields(pdfText(t, filepath.Join(dir, "certificate.pdf"), 1)), " ")
	require.Contains(t, text, "Attached: lease.pdf (application/pdf")
	require.Contains(t, text, digest)
	requireWordIn(t, savedFinal(t, id, str(created, "documents", 0, "id")), 1, "lease.pdf", attachmentBox)
}

// TestASignerNotYetDueLeavesNothingBehind: a signature the envelope will
// not take yet (Bob signs before Alice, who comes first) is refused before
// anything it brings is stored: no drawn image, no attached file, no
// attachment event. Once due, the same request signs, and its attachment
// is recorded in the signature's own change.
func TestASignerNotYetDueLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	spec := jsonEnvelope(t, []J{signer("alice", 1), signer("bob", 2)}, []J{fieldAt(0, "signature", 1, aliceSig),
		fieldAt(1, "signature", 1, bobSig), fieldAt(1, "attachment", 1, attachmentBox)})
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	alice, bob := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")
	bobs := J{"values": []J{{"field_id": str(created, "fields", 1, "id"), "image_png_base64": signaturePNG(t)},
		{"field_id": str(created, "fields", 2, "id"), "attachment": J{"name": "id.pdf", "content_base64": base64.StdEncoding.EncodeToString(contractPDF(t))}}}}

	status, problem := postAs(t, bob, "/sign", bobs)
	require.Equal(t, http.StatusConflict, status, "%v", problem)
	require.Equal(t, "urn:signflow:problem:action-rejected", str(problem, "type"))
	require.Contains(t, str(problem, "detail"), "not due yet")
	stored, err := os.ReadDir(filepath.Join(suite.tmp, "blobs", "envelopes", id))
	require.NoError(t, err)
	for _, dir := range stored {
		require.NotContains(t, []string{"attachments", "fields"}, dir.Name(), "a refused signature stores nothing")
	}
	_, audit := getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/audit")
	for _, e := range at(audit, "events").([]any) {
		require.NotEqual(t, "attachment.uploaded", str(e, "type"), "a refused signature records nothing")
	}

	status, signed := signAs(t, alice, "Alice")
	require.Equal(t, http.StatusOK, status, "%v", signed)
	status, signed = postAs(t, bob, "/sign", bobs)
	require.Equal(t, http.StatusOK, status, "%v", signed)
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)
	_, audit = getJSON(t, suite.apiURL+"/v1/envelopes/"+id+"/audit")
	var types []string
	for _, e := range at(audit, "events").([]any) {
		types = append(types, str(e, "type"))
	}
	i := slices.Index(types, "recipient.signed")
	j := slices.Index(types[i+1:], "recipient.signed") + i + 1
	require.Equal(t, "attachment.uploaded", types[j+1], "Bob's attachment is recorded with his signature: %v", types)
}
