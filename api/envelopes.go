package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// createEnvelope stores an envelope and starts its workflow. With an
// Idempotency-Key the envelope's ID is the key's, so a retry after a crash
// at any point finishes the same envelope: nothing, or one envelope with
// one workflow.
func (s *Server) createEnvelope(c *gin.Context) {
	spec, docs, err := s.readCreateRequest(c)
	var reqErr *requestError
	if errors.As(err, &reqErr) {
		problem(c, reqErr.status, "malformed-request", reqErr.msg)
		return
	}
	if err != nil {
		problem(c, http.StatusBadRequest, "malformed-request", err.Error())
		return
	}
	// With an idempotency key the client's retry finishes what a failure
	// left; without one, nothing will.
	env, errs, err := s.Sender.Send(c.Request.Context(), tenantID(c), idempotentResource(c), spec, docs,
		senderEvent(c, models.EventEnvelopeCreated), hasIdempotencyKey(c))
	if err != nil {
		s.unavailable(c, "sending the envelope", err)
		return
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	view := s.envelopeView(env)
	for i, r := range env.Recipients {
		token := s.Links.Token(r.ID, r.LinkGeneration)
		view.Recipients[i].SigningURL = s.PublicURL + signinglink.Path(token)
		view.Recipients[i].SigningAPIURL = s.PublicURL + signinglink.APIPath(token)
	}
	c.Header("Location", "/v1/envelopes/"+env.ID)
	s.Metrics.EnvelopeCreated()
	c.JSON(http.StatusCreated, view)
}

// rules are the account's bounds on what a sender may ask for.
func (s *Server) rules() signing.Rules {
	return signing.Rules{Limits: s.Limits, AllowNoSecondFactor: s.AllowNoSecondFactor, SendsTexts: s.Verifier.SMS != nil}
}

// loadEnvelope answers 404 itself when the envelope is not the caller's.
func (s *Server) loadEnvelope(c *gin.Context) *models.Envelope {
	return loadOwn(s, c, "envelope", s.Store.GetEnvelope)
}

// loadOwn loads the caller's tenant's resource named by the path's id,
// answering 404 (not found, or another tenant's) or 503 itself, when it
// returns nil.
func loadOwn[T any](s *Server, c *gin.Context, what string, get func(ctx context.Context, tenantID, id string) (*T, error)) *T {
	v, err := get(c.Request.Context(), tenantID(c), c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		problem(c, http.StatusNotFound, "not-found", "No "+what+" with ID "+c.Param("id")+".")
		return nil
	}
	if err != nil {
		s.unavailable(c, "loading the "+what, err)
		return nil
	}
	return v
}

func (s *Server) getEnvelope(c *gin.Context) {
	if env := s.loadEnvelope(c); env != nil {
		c.JSON(http.StatusOK, s.envelopeView(env))
	}
}

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

func (s *Server) listEnvelopes(c *gin.Context) {
	var errs signing.FieldErrors
	status := c.Query("status")
	if status != "" && !slices.Contains(models.EnvelopeStatuses, status) {
		errs.Add("status", "must be one of %s", strings.Join(models.EnvelopeStatuses, ", "))
	}
	limit := defaultPageSize
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPageSize {
			errs.Add("limit", "must be a whole number from 1 to %d", maxPageSize)
		}
		limit = n
	}
	cursor := c.Query("cursor")
	if cursor != "" {
		if _, err := uuid.Parse(cursor); err != nil {
			errs.Add("cursor", "use the next_cursor value of the previous page")
		}
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	envs, err := s.Store.ListEnvelopes(c.Request.Context(), tenantID(c), status, cursor, limit+1)
	if err != nil {
		s.unavailable(c, "listing envelopes", err)
		return
	}
	page := listView{Data: []envelopeSummary{}}
	for i, env := range envs {
		if i == limit {
			page.NextCursor = envs[i-1].ID
			break
		}
		page.Data = append(page.Data, summaryView(&env))
	}
	c.JSON(http.StatusOK, page)
}

func (s *Server) voidEnvelope(c *gin.Context) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !readJSON(c, &body, "send a JSON body such as {\"reason\": \"sent by mistake\"}") {
		return
	}
	if strings.TrimSpace(body.Reason) == "" || len(body.Reason) > 1000 {
		invalid(c, signing.FieldErrors{{Field: "reason", Message: "say why the envelope is voided, in 1 to 1000 characters"}})
		return
	}
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	_, err := s.Workflows.Void(ctx, env.ID, contract.VoidRequest{Reason: body.Reason, Origin: senderOrigin(c)})
	if errors.Is(err, contract.ErrNotRunning) && env.Status == models.EnvelopeInProgress {
		// Its workflow never started or is gone: the envelope can still be ended.
		err = s.voidStray(c, env.ID, body.Reason)
	}
	if err != nil {
		s.actionFailed(c, err)
		return
	}
	s.getEnvelope(c)
}

// retryRender has an envelope whose final documents could not be made
// render them again, once an operator has fixed the cause.
func (s *Server) retryRender(c *gin.Context) {
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	if _, err := s.Workflows.RetryRender(ctx, env.ID, contract.RetryRenderRequest{Origin: senderOrigin(c)}); err != nil {
		s.actionFailed(c, err)
		return
	}
	s.getEnvelope(c)
}

// voidStray voids an envelope in progress whose workflow is not running,
// as its sender asked, and sends the webhooks that change owes.
func (s *Server) voidStray(c *gin.Context, envelopeID, reason string) error {
	ctx := c.Request.Context()
	ev := senderEvent(c, models.EventEnvelopeVoided)
	ev.Details = map[string]any{"reason": reason, "workflow": "not running"}
	if _, err := s.Store.VoidStray(ctx, envelopeID, ev); err != nil {
		return err
	}
	subs, err := s.Store.PendingSubscriptions(ctx, envelopeID)
	if err != nil {
		return err
	}
	return s.Workflows.WakeWebhooks(ctx, envelopeID, subs)
}

func (s *Server) originalDocument(c *gin.Context) {
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	s.sendDocument(c, env, c.Param("doc"), false, senderEvent(c, models.EventDocumentDownloaded))
}

func (s *Server) finalDocument(c *gin.Context) {
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	if env.Status != models.EnvelopeCompleted {
		problem(c, http.StatusConflict, "not-completed", "The envelope is "+env.Status+"; the final document exists once it is completed.")
		return
	}
	s.sendDocument(c, env, c.Param("doc"), true, senderEvent(c, models.EventDocumentDownloaded))
}

// sendDocument answers with a document and records who downloaded it.
// attachment is a file a recipient attached to a field, for the sender.
func (s *Server) attachment(c *gin.Context) {
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	if env.DocumentsDeletedAt != nil {
		problem(c, http.StatusGone, "documents-deleted", "The retention policy deleted this envelope's documents and attachments on "+
			env.DocumentsDeletedAt.UTC().Format(time.RFC3339)+"; their hashes and the audit trail are kept.")
		return
	}
	for _, f := range env.Fields {
		if f.ID != c.Param("field") || f.Type != models.FieldAttachment {
			continue
		}
		a, ok := models.ParseAttachment(f.Value)
		if !ok || f.ImageKey == "" {
			problem(c, http.StatusNotFound, "not-attached", "Nothing has been attached to field "+f.ID+" yet.")
			return
		}
		data, err := s.Blobs.Get(c.Request.Context(), f.ImageKey)
		if err != nil {
			s.unavailable(c, "reading the attachment", err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(a.Name, `"`, "")+`"`)
		sum := sha256.Sum256(data)
		c.Header("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		c.Data(http.StatusOK, a.ContentType, data)
		return
	}
	problem(c, http.StatusNotFound, "not-found", "The envelope has no attachment field with ID "+c.Param("field")+".")
}

func (s *Server) sendDocument(c *gin.Context, env *models.Envelope, docID string, final bool, downloaded models.Event) {
	if env.DocumentsDeletedAt != nil {
		problem(c, http.StatusGone, "documents-deleted", "The retention policy deleted this envelope's documents on "+
			env.DocumentsDeletedAt.UTC().Format(time.RFC3339)+"; their hashes and the audit trail are kept.")
		return
	}
	for _, d := range env.Documents {
		if d.ID != docID {
			continue
		}
		key, recorded := blob.OriginalKey(env.ID, d.ID), d.SHA256
		if final {
			key, recorded = blob.FinalKey(env.ID, d.ID), d.FinalSHA256
		}
		data, err := s.recordedBlob(c, key, recorded)
		if err != nil {
			s.blobFailed(c, "reading the document", err)
			return
		}
		downloaded.EnvelopeID, downloaded.TenantID = env.ID, env.TenantID
		downloaded.Details = map[string]any{"document_id": d.ID, "final": final}
		downloaded.DocumentSHA256 = []string{pdf.SHA256(data)}
		if err := s.Store.AppendEvent(c.Request.Context(), downloaded); err != nil {
			s.unavailable(c, "recording the download", err)
			return
		}
		name := d.Name
		if final {
			name = strings.TrimSuffix(name, ".pdf") + "-signed.pdf"
		}
		c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
		sum := sha256.Sum256(data)
		c.Header("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":") // RFC 9530
		c.Data(http.StatusOK, "application/pdf", data)
		return
	}
	problem(c, http.StatusNotFound, "not-found", "The envelope has no document with ID "+docID+".")
}

// recordedBlob reads a blob checked against its recorded SHA-256, if one
// was recorded.
func (s *Server) recordedBlob(c *gin.Context, key, sha256Hex string) ([]byte, error) {
	if sha256Hex == "" {
		return s.Blobs.Get(c.Request.Context(), key)
	}
	return blob.GetChecked(c.Request.Context(), s.Blobs, key, sha256Hex)
}

// blobFailed answers a blob that could not be read: one that fails its
// integrity check is withheld (and logged for the operator), anything else
// is a store to retry.
func (s *Server) blobFailed(c *gin.Context, what string, err error) {
	if errors.Is(err, blob.ErrDigestMismatch) || errors.Is(err, blob.ErrUnsealed) {
		s.Log.Error("document failed its integrity check", "route", c.FullPath(), "error", err)
		problem(c, http.StatusInternalServerError, "document-integrity",
			"The stored document does not match what was recorded when it was uploaded, so it is withheld. The operator has been alerted.")
		return
	}
	s.unavailable(c, what, err)
}
