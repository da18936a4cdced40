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
	"go.temporal.io/sdk/client"

	"github.com/signflow/signflow/internal/blob"
	"github.com/signflow/signflow/internal/mailer"
	"github.com/signflow/signflow/internal/pdf"
	"github.com/signflow/signflow/internal/seal"
	"github.com/signflow/signflow/internal/signinglink"
	"github.com/signflow/signflow/models"
)

// Server holds what the handlers need.
type Server struct {
	Store     *models.Store
	Blobs     blob.Store
	Temporal  client.Client
	Seal      *seal.Sealer
	Links     *signinglink.Minter
	TaskQueue string
	PublicURL string
	Limits    pdf.Limits
	Log       *slog.Logger
	// TrustedProxies may set X-Forwarded-For; from anyone else it is ignored.
	TrustedProxies []string
	// Mail sends one-time codes.
	Mail mailer.SMTP
	// AllowNoSecondFactor lets senders choose "none" for a recipient.
	AllowNoSecondFactor bool
	// SessionTTL is how long a verified signing session lasts.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now. Tests move it to expire codes.
	Now func() time.Time
}

// Handler builds the HTTP routes.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// X-Forwarded-For counts only from configured proxies (none by default);
	// config.Load has already checked the addresses.
	_ = r.SetTrustedProxies(s.TrustedProxies)
	r.Use(s.logRequests, s.recoverPanics)
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "not-found", "No such route.") })
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed here.")
	})
	r.HandleMethodNotAllowed = true

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)

	v1 := r.Group("/v1")
	v1.POST("/envelopes", s.createEnvelope)
	v1.GET("/envelopes", s.listEnvelopes)
	v1.GET("/envelopes/:id", s.getEnvelope)
	v1.POST("/envelopes/:id/void", s.voidEnvelope)
	v1.POST("/envelopes/:id/recipients/:rid/resend", s.resendLink)
	v1.PATCH("/envelopes/:id/recipients/:rid", s.correctRecipient)
	v1.GET("/envelopes/:id/documents/:doc", s.originalDocument)
	v1.GET("/envelopes/:id/documents/:doc/final", s.finalDocument)
	v1.GET("/envelopes/:id/audit", s.auditTrail)
	v1.GET("/envelopes/:id/audit/verify", s.verifyAudit)
	v1.GET("/envelopes/:id/audit/export", s.exportAudit)
	v1.GET("/envelopes/:id/certificate", s.certificateOfCompletion)
	v1.GET("/certificates", s.certificates)
	v1.POST("/verify", s.verifyDocument)

	v1.GET("/signing/:token", s.signingView)
	v1.GET("/signing/:token/documents/:doc", s.signingDocument)
	v1.POST("/signing/:token/viewed", s.markViewed)
	v1.POST("/signing/:token/otp", s.requestCode)
	v1.POST("/signing/:token/session", s.startSession)
	v1.POST("/signing/:token/sign", s.sign)
	v1.POST("/signing/:token/decline", s.decline)
	return r
}

// logRequests logs each request by its route template, so that signing
// tokens in paths never reach the log.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.Log.Info("http request", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds())
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
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
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
