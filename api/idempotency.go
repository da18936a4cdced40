package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// idempotencyLock is how long a claimed key waits for its request before a
// retry may take it over: longer than any request runs.
const (
	idempotencyLock   = 2 * time.Minute
	maxIdempotencyKey = 255
	replayedHeader    = "Idempotent-Replayed"
	idempotencyHeader = "Idempotency-Key"
)

// capture keeps a copy of what a handler writes.
type capture struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *capture) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// idempotent gives a POST with an Idempotency-Key Stripe's semantics: the
// first response for (tenant, key) is stored with a fingerprint of the
// request, a retry with the same request gets it again without the work
// being redone, the same key with another request is 422, and a retry while
// the first still runs is 409. The database's primary key decides races.
func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader(idempotencyHeader)
	if key == "" {
		c.Next()
		return
	}
	if len(key) > maxIdempotencyKey {
		problem(c, http.StatusBadRequest, "invalid-idempotency-key", "Keep the Idempotency-Key under 256 characters; a UUID is a good choice.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxRequestBytes()))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem(c, http.StatusRequestEntityTooLarge, "too-large", "The request body is too large.")
		return
	}
	if err != nil {
		problem(c, http.StatusBadRequest, "malformed-request", "The request body could not be read.")
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	io.WriteString(sum, c.Request.Method+" "+c.Request.URL.Path+"\n"+c.ContentType()+"\n")
	sum.Write(body)
	now := s.now()
	record := models.IdempotencyKey{TenantID: tenantID(c), Key: key, Fingerprint: hex.EncodeToString(sum.Sum(nil)),
		CreatedAt: now, ExpiresAt: now.Add(s.IdempotencyTTL)}
	stored, claimed, err := s.Store.ClaimIdempotencyKey(c.Request.Context(), record, idempotencyLock)
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.Header("Retry-After", "1")
		problem(c, http.StatusConflict, "idempotency-key-in-use", "A request with this Idempotency-Key was just released; retry it.")
		return
	case err != nil:
		s.unavailable(c, "checking the idempotency key", err)
		return
	case !claimed && stored.Fingerprint != record.Fingerprint:
		problem(c, http.StatusUnprocessableEntity, "idempotency-key-reused",
			"This Idempotency-Key was used for a different request; use a new key for a new request.")
		return
	case !claimed && stored.Running():
		c.Header("Retry-After", "1")
		problem(c, http.StatusConflict, "idempotency-key-in-use",
			"A request with this Idempotency-Key is still being processed; retry shortly to get its response.")
		return
	case !claimed:
		if stored.Location != "" {
			c.Header("Location", stored.Location)
		}
		c.Header(replayedHeader, "true")
		c.Data(stored.Status, stored.ContentType, stored.Body)
		c.Abort()
		return
	}
	w := &capture{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	// The outcome is kept even if the caller has gone: that is what a retry asks for.
	ctx := context.WithoutCancel(c.Request.Context())
	if status := w.Status(); status >= 500 {
		// Our failure, not the request's: a retry should do the work.
		if err := s.Store.ReleaseIdempotencyKey(ctx, record.TenantID, key); err != nil {
			s.Log.Error("release idempotency key", "error", err)
		}
		return
	}
	record.Status, record.ContentType, record.Location, record.Body = w.Status(), w.Header().Get("Content-Type"), w.Header().Get("Location"), w.body.Bytes()
	if err := s.Store.FinishIdempotencyKey(ctx, record); err != nil {
		s.Log.Error("store idempotent response", "error", err)
	}
}

// maxRequestBytes bounds any POST body: the largest envelope creation.
func (s *Server) maxRequestBytes() int64 {
	return int64(signing.MaxDocuments)*s.Limits.MaxBytes*4/3 + signing.MaxRequestJSONBytes
}

func (w *capture) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
