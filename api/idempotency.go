package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// idempotencyLease is how long a claim lives unless its request renews
// it: a process that dies frees its keys within this, not minutes later.
const (
	idempotencyLease  = 10 * time.Second
	maxIdempotencyKey = 255
	resourceKey       = "signflow.idempotency.resource"
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
	sum := sha256.New()
	io.WriteString(sum, c.Request.Method+" "+c.Request.URL.RequestURI()+"\n"+c.ContentType()+"\n")
	// The route has capped the body already; it is fingerprinted as it is
	// kept for the handler, on disk past the first megabyte.
	body, err := spool(io.TeeReader(c.Request.Body, sum))
	if err != nil {
		bodyProblem(c, err, "The request body could not be read.")
		return
	}
	defer body.Close()
	c.Request.Body = body
	now := s.now()
	record := models.IdempotencyKey{TenantID: idempotencyScope(c), Key: key, Fingerprint: hex.EncodeToString(sum.Sum(nil)),
		ResourceID: models.NewID(), CreatedAt: now, ExpiresAt: now.Add(s.IdempotencyTTL)}
	stored, claimed, err := s.Store.ClaimIdempotencyKey(c.Request.Context(), record, idempotencyLease)
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
	c.Set(resourceKey, stored.ResourceID)
	stopRenewing := s.renewWhileRunning(record.TenantID, key)
	w := &capture{ResponseWriter: c.Writer}
	c.Writer = w
	// The outcome is kept even if the caller has gone: that is what a retry asks for.
	ctx := context.WithoutCancel(c.Request.Context())
	release := func() {
		if err := s.Store.ReleaseIdempotencyKey(ctx, record.TenantID, key, s.now()); err != nil {
			s.Log.Error("release idempotency key", "error", err)
		}
	}
	defer func() {
		stopRenewing()
		if p := recover(); p != nil {
			release()
			panic(p) // recoverPanics answers it
		}
	}()
	c.Next()
	// Stripe's rule: only an answer to the request is kept. A failure on
	// our side, a request cut off by its caller, or no answer at all leave
	// the key for a retry, which does the work (on the same resource).
	if w.Status() >= 500 || !w.Written() || c.Request.Context().Err() != nil {
		release()
		return
	}
	record.Status, record.ContentType, record.Location, record.Body = w.Status(), w.Header().Get("Content-Type"), w.Header().Get("Location"), w.body.Bytes()
	if err := s.Store.FinishIdempotencyKey(ctx, record); err != nil {
		s.Log.Error("store idempotent response", "error", err)
	}
}

// renewWhileRunning keeps a claim alive while its request runs; the
// returned function stops it.
func (s *Server) renewWhileRunning(scope, key string) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(idempotencyLease / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := s.Store.RenewIdempotencyKey(context.Background(), scope, key, s.now().Add(idempotencyLease)); err != nil {
					s.Log.Warn("renew idempotency key", "error", err)
				}
			}
		}
	}()
	// Waits for a renewal under way, so none lands after a release.
	return func() { close(done); <-exited }
}

// idempotencyScope is whose keys a key is among: the tenant's on sender
// routes, the link's on recipient routes.
func idempotencyScope(c *gin.Context) string {
	if token := c.Param("token"); token != "" {
		return "link:" + signinglink.Hash(token)[:48]
	}
	return tenantID(c)
}

// hasIdempotencyKey says the request holds a claimed Idempotency-Key.
func hasIdempotencyKey(c *gin.Context) bool { return c.GetString(resourceKey) != "" }

// idempotentResource is the ID the request's Idempotency-Key reserved for
// what it creates, or a new ID for a request without one.
func idempotentResource(c *gin.Context) string {
	if id := c.GetString(resourceKey); id != "" {
		return id
	}
	return models.NewID()
}

// maxRequestBytes bounds any POST body: the largest envelope creation.
func (s *Server) maxRequestBytes() int64 {
	return int64(signing.MaxDocuments)*s.Limits.MaxBytes*4/3 + signing.MaxRequestJSONBytes
}

// spoolInMemory is as much of a body as is kept in memory for a retry's
// fingerprint; the rest goes to a temporary file.
const spoolInMemory = 1 << 20

// spooled is a body read in full, from memory or a temporary file that
// Close removes.
type spooled struct {
	io.Reader
	file *os.File
}

func (b *spooled) Close() error {
	if b.file == nil {
		return nil
	}
	return errors.Join(b.file.Close(), os.Remove(b.file.Name()))
}

// spool reads r to its end, keeping spoolInMemory bytes in memory and the
// rest in a temporary file.
func spool(r io.Reader) (*spooled, error) {
	var head bytes.Buffer
	if _, err := io.CopyN(&head, r, spoolInMemory+1); errors.Is(err, io.EOF) {
		return &spooled{Reader: &head}, nil
	} else if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "signflow-body-*")
	if err != nil {
		return nil, fmt.Errorf("spool a request body: %w", err)
	}
	b := &spooled{file: f}
	if _, err := io.Copy(f, io.MultiReader(&head, r)); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	b.Reader = f
	return b, nil
}

func (w *capture) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
