// Package api is Signflow's HTTP interface: a thin Gin layer that stores
// envelopes and turns requests into messages to envelope workflows.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	lru "github.com/hashicorp/golang-lru/v2"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/editing"
	"github.com/signflow/signflow/internal/embedding"
	"github.com/signflow/signflow/internal/erasure"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/platform/admission"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/publiclinks"
	"github.com/signflow/signflow/internal/sending"
	"github.com/signflow/signflow/internal/signers"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// Server holds what the handlers need.
type Server struct {
	Store     *database.Store
	Blobs     blob.Store
	Workflows *contract.Client
	Evidence  Evidence
	Links     *signinglink.Minter
	PublicURL string
	// TwilioAuthToken checks Twilio's reports of texts; empty when texts
	// do not go through Twilio.
	TwilioAuthToken string
	Limits          pdf.Limits
	Log             *slog.Logger
	// TrustedProxies may set X-Forwarded-For; from anyone else it is ignored.
	TrustedProxies []string
	// Verifier emails one-time codes and starts signing sessions.
	Verifier *verification.Verifier
	// AllowNoSecondFactor lets senders choose "none" for a recipient.
	AllowNoSecondFactor bool
	// Tokens issues and checks the API's access tokens.
	Tokens *accesstoken.Authority
	// RateLimits paces each API client; nil sets no limit.
	RateLimits *RateLimits
	// Admission refuses new envelopes while the workers are behind; nil
	// admits every one.
	Admission *admission.Gate
	// IdempotencyTTL is how long a response to a POST with an
	// Idempotency-Key is kept for retries.
	IdempotencyTTL time.Duration
	// SessionTTL is how long a verified signing session lasts.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now. Tests move it to expire codes.
	Now func() time.Time
	// Sender makes envelopes, from requests and templates.
	Sender *sending.Sender
	// Signers carries out recipients' actions.
	Signers *signers.Service
	// Embedding mints and opens embedded sessions.
	Embedding *embedding.Service
	// PublicLinks runs templates' self-serve links.
	PublicLinks *publiclinks.Service
	// Editing runs embedded field editors' sessions.
	Editing *editing.Service
	// Eraser erases a person's data at their request.
	Eraser *erasure.Eraser
	// Metrics counts requests and envelopes; nil counts nothing.
	Metrics *metrics.Metrics
	// Tracer starts a span per request, continuing the trace context
	// TracePropagator reads from the caller; nil traces nothing.
	Tracer          trace.Tracer
	TracePropagator propagation.TextMapPropagator
	// Codec is Temporal's remote codec handler over the payload keys; nil
	// serves no codec endpoint.
	Codec http.Handler
	// CodecOrigins are the Web UI origins the browser may call it from.
	CodecOrigins []string
	// CodecWithoutToken lets loopback callers use it without a token, for
	// the dev server's Web UI.
	CodecWithoutToken bool

	// pageImages keeps recently drawn page images.
	pageImages *lru.Cache[string, []byte]
	// renders bounds the page images each tenant has drawn at once.
	renders tenantSlots
}

// pageImagesCached is how many page images an API process keeps: at a
// few hundred kilobytes each, tens of megabytes at most.
const pageImagesCached = 128

// Handler builds the HTTP routes.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s.pageImages, _ = lru.New[string, []byte](pageImagesCached)
	r := gin.New()
	// X-Forwarded-For counts only from configured proxies (none by default);
	// config.Load has already checked the addresses.
	_ = r.SetTrustedProxies(s.TrustedProxies)
	if s.Tracer != nil {
		r.Use(s.traceRequests)
	}
	r.Use(s.logRequests, s.recoverPanics, limitHeaders)
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "not-found", "No such route.") })
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed here.")
	})
	r.HandleMethodNotAllowed = true

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	serveOpenAPI(r)

	r.POST("/oauth/token", limitBody(smallBody), s.issueToken)
	r.POST(TwilioStatusPath, limitBody(smallBody), s.twilioStatus)
	r.GET("/.well-known/jwks.json", s.jwks)
	r.GET("/.well-known/oauth-authorization-server", s.authorizationServer)

	v1 := r.Group("/v1")
	// Sender routes: an access token with the route's scope, then the
	// client's rate limit; POSTs honour Idempotency-Key.
	sender := v1.Group("", s.authenticate, s.rateLimit)
	read, write, audit := s.requireScope(models.ScopeEnvelopesRead), s.requireScope(models.ScopeEnvelopesWrite), s.requireScope(models.ScopeAuditRead)
	// Every body is capped before any middleware reads a byte of it.
	envelopeBody := limitBody(s.maxRequestBytes())
	sender.POST("/envelopes", write, envelopeBody, s.admit, s.idempotent, s.createEnvelope)
	sender.GET("/envelopes", read, s.listEnvelopes)
	sender.GET("/envelopes/:id", read, s.getEnvelope)
	sender.GET("/envelopes/:id/form-data", read, s.formData)
	small := limitBody(smallBody)
	sender.POST("/envelopes/:id/void", write, small, s.idempotent, s.voidEnvelope)
	sender.POST("/envelopes/:id/retry-render", write, small, s.idempotent, s.retryRender)
	sender.POST("/envelopes/:id/recipients/:rid/resend", write, small, s.idempotent, s.resendLink)
	sender.PATCH("/envelopes/:id/recipients/:rid", write, small, s.correctRecipient)
	sender.GET("/envelopes/:id/documents/:doc", read, s.originalDocument)
	sender.GET("/envelopes/:id/documents/:doc/final", read, s.finalDocument)
	sender.GET("/envelopes/:id/attachments/:field", read, s.attachment)
	sender.GET("/envelopes/:id/audit", audit, s.auditTrail)
	sender.GET("/envelopes/:id/audit/verify", audit, s.verifyAudit)
	sender.GET("/envelopes/:id/audit/export", audit, s.exportAudit)
	sender.GET("/envelopes/:id/certificate", read, s.certificateOfCompletion)
	sender.GET("/events", read, s.events)
	hooks := s.requireScope(models.ScopeWebhooksManage)
	sender.POST("/webhooks", hooks, small, s.idempotent, s.createWebhook)
	sender.GET("/webhooks", hooks, s.listWebhooks)
	sender.GET("/webhooks/:id", hooks, s.getWebhook)
	sender.DELETE("/webhooks/:id", hooks, s.deleteWebhook)
	sender.POST("/webhooks/:id/rotate-secret", hooks, small, s.idempotent, s.rotateSecret)
	sender.GET("/webhooks/:id/deliveries", hooks, s.deliveries)
	sender.POST("/webhooks/:id/deliveries/:did/retry", hooks, small, s.idempotent, s.retryDelivery)
	sender.POST("/webhooks/:id/replay", hooks, small, s.idempotent, s.replay)
	compliance := s.requireScope(models.ScopeComplianceManage)
	sender.GET("/retention-policy", compliance, s.getRetentionPolicy)
	sender.PUT("/retention-policy", compliance, small, s.putRetentionPolicy)
	sender.GET("/retention/preview", compliance, s.retentionPreview)
	sender.POST("/envelopes/:id/legal-hold", compliance, small, s.idempotent, s.placeLegalHold)
	sender.DELETE("/envelopes/:id/legal-hold", compliance, s.releaseLegalHold)
	sender.POST("/data-subjects/export", compliance, small, s.exportDataSubject)
	sender.POST("/data-subjects/erase", compliance, small, s.idempotent, s.eraseDataSubject)
	sender.POST("/templates", write, envelopeBody, s.idempotent, s.createTemplate)
	sender.GET("/templates", read, s.listTemplates)
	sender.GET("/templates/:id", read, s.getTemplate)
	sender.PUT("/templates/:id", write, envelopeBody, s.updateTemplate)
	sender.DELETE("/templates/:id", write, s.deleteTemplate)
	sender.GET("/templates/:id/public-link", read, s.getPublicLink)
	sender.PUT("/templates/:id/public-link", write, small, s.putPublicLink)
	sender.POST("/templates/:id/public-link/rotate", write, small, s.rotatePublicLink)
	sender.POST("/templates/:id/editor-session", write, small, s.createEditorSession)
	sender.POST("/bulk-sends", write, limitBody(maxBulkBody), s.idempotent, s.createBulkSend)
	sender.GET("/bulk-sends/:id", read, s.getBulkSend)
	sender.GET("/bulk-sends/:id/rows", read, s.bulkRows)
	sender.POST("/bulk-sends/:id/pause", write, small, s.idempotent, s.controlBulkSend(contract.UpdateBulkPause))
	sender.POST("/bulk-sends/:id/resume", write, small, s.idempotent, s.controlBulkSend(contract.UpdateBulkResume))
	sender.POST("/bulk-sends/:id/cancel", write, small, s.idempotent, s.controlBulkSend(contract.UpdateBulkCancel))
	sender.GET("/embedding", read, s.getEmbedding)
	sender.PUT("/embedding", write, small, s.putEmbedding)
	sender.GET("/branding", read, s.getBranding)
	sender.PUT("/branding", write, limitBody(brandingBody), s.putBranding)
	// A session URL is never replayed: it opens once.
	sender.POST("/envelopes/:id/recipients/:rid/embedded-session", write, small, s.createEmbeddedSession)
	sender.POST("/envelopes/:id/recipients/:rid/identity-verifications", write, small, s.idempotent, s.recordIdentityCheck)
	sender.GET("/certificates", read, s.certificates)
	sender.POST("/verify", read, limitBody(s.maxPDFBody()), s.idempotent, s.verifyDocument)

	// Recipient routes: the link in the path is the credential, paced per
	// link and per address; a link is checked before an Idempotency-Key
	// is stored for it.
	link := v1.Group("", s.limitLinks)
	link.GET("/signing/:token", s.signingView)
	link.GET("/signing/:token/documents/:doc", s.signingDocument)
	link.GET("/signing/:token/documents/:doc/pages/:page", s.signingPageImage)
	link.GET("/signing/:token/drawn/:field", s.othersDrawing)
	link.GET("/signing/:token/logo", s.signingLogo)
	link.POST("/signing/:token/viewed", small, s.knownLink, s.idempotent, s.markViewed)
	link.POST("/signing/:token/otp", small, s.knownLink, s.idempotent, s.requestCode)
	// A session is never replayed: its response holds a bearer token.
	link.POST("/signing/:token/session", small, s.startSession)
	link.POST("/signing/:token/sign", limitBody(signBody), s.knownLink, s.idempotent, s.sign)
	link.POST("/signing/:token/decline", small, s.knownLink, s.idempotent, s.decline)
	// A draft is replaced whole, so a repeated PUT needs no key.
	link.PUT("/signing/:token/draft", limitBody(draftBody), s.saveDraft)
	link.POST("/signing/:token/reassign", small, s.knownLink, s.idempotent, s.reassign)
	link.GET("/copies/:token/documents/:doc", s.completedCopy)
	// Self-serve links: each start makes an envelope, so none is replayed.
	link.GET("/public/:token", s.publicOffer)
	link.POST("/public/:token/start", small, s.startPublic)

	// The field editor's routes: an editor session's token, paced per
	// address, is the credential.
	editor := v1.Group("/editor", s.limitLinks, s.editorSession)
	editor.GET("", s.editorDraft)
	editor.GET("/documents/:doc/pages/:page", s.editorPage)
	editor.PUT("/fields", limitBody(s.maxRequestBytes()), s.saveEditorFields)

	s.codecRoutes(r)

	r.GET("/sign/:token", s.limitLinks, s.signingPage)
	r.GET("/embed/:ticket", s.limitLinks, s.openEmbedded)
	r.GET("/p/:token", s.limitLinks, s.publicPage)
	r.GET("/assets/public.js", s.publicScript)
	r.GET("/edit/:session", s.limitLinks, s.editorPageView)
	r.GET("/assets/editor.js", s.editorScript)
	r.GET("/assets/embed/v1/signflow.js", s.embedScript)
	r.GET("/assets/sign.js", s.signingScript)
	r.GET("/assets/rules.js", s.signingRules)
	r.GET("/assets/signature_pad.js", s.signaturePad)
	r.GET("/assets/locales/:file", s.signingMessages)
	r.GET("/assets/handwriting.ttf", s.handwritingFont)
	return r
}

// HTTPServer serves the API on addr with bounded headers and time limits,
// so a slow or oversized request cannot hold a connection or memory.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		// Long enough for the largest envelope over a slow link.
		ReadTimeout:  5 * time.Minute,
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
	}
}

// logRequests logs each request by its route template, so that signing
// tokens in paths never reach the log.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	took := time.Since(start)
	s.Metrics.Request(c.FullPath(), c.Request.Method, c.Writer.Status(), took)
	s.Log.InfoContext(c.Request.Context(), "http request", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "duration_ms", took.Milliseconds())
}

func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error("handler panicked", "route", c.FullPath(), "panic", fmt.Sprint(r))
			problem(c, http.StatusInternalServerError, "internal", "An internal error occurred; it has been logged.")
		}
	}()
	c.Next()
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		problem(c, http.StatusServiceUnavailable, "not-ready", "The database is not reachable.")
		return
	}
	if err := s.Workflows.CheckHealth(ctx); err != nil {
		problem(c, http.StatusServiceUnavailable, "not-ready", "Temporal is not reachable.")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// unavailable answers for a dependency that failed, logging the cause.
func (s *Server) unavailable(c *gin.Context, what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.Log.Error(what, "route", c.FullPath(), "error", err)
	c.Header("Retry-After", "5")
	problem(c, http.StatusServiceUnavailable, "unavailable", "Signflow could not complete the request right now ("+what+"); retry shortly.")
}
