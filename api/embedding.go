package api

import (
	_ "embed"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/embedding"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// embedScript is the web component integrators include to frame the
// signing page; its path carries its version.
//
//go:embed embed/signflow.js
var embedScript []byte

type embeddingView struct {
	FrameOrigins []string `json:"frame_origins"`
}

func (s *Server) getEmbedding(c *gin.Context) {
	e, err := s.Store.EmbedSettingsOf(c.Request.Context(), tenantID(c))
	if err != nil {
		s.unavailable(c, "loading the embedding origins", err)
		return
	}
	c.JSON(http.StatusOK, embeddingView{FrameOrigins: append([]string{}, strings.Fields(e.Origins)...)})
}

func (s *Server) putEmbedding(c *gin.Context) {
	var body embeddingView
	if !readJSON(c, &body, `send JSON such as {"frame_origins": ["https://app.example.com"]}`) {
		return
	}
	origins, errs := embedding.Origins(body.FrameOrigins)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	e := models.EmbedSettings{TenantID: tenantID(c), Origins: strings.Join(origins, " ")}
	if err := s.Store.SetEmbedSettings(c.Request.Context(), e); err != nil {
		s.unavailable(c, "saving the embedding origins", err)
		return
	}
	c.JSON(http.StatusOK, embeddingView{FrameOrigins: origins})
}

// createEmbeddedSession mints a one-time URL that opens a recipient's
// signing page on the integrator's word.
func (s *Server) createEmbeddedSession(c *gin.Context) {
	var body embedding.Request
	if !readJSON(c, &body, `send JSON such as {"authenticated_by": "password+totp", "frame_origin": "https://app.example.com"}`) {
		return
	}
	env, rid := s.envelopeRecipient(c)
	if env == nil {
		return
	}
	session, err := s.Embedding.Mint(c.Request.Context(), env, rid, body, principal(c).ClientID, c.ClientIP())
	var errs signing.FieldErrors
	var refused *embedding.ErrNotEmbeddable
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.As(err, &refused):
		problem(c, http.StatusConflict, "not-embeddable", refused.Reason)
	case err != nil:
		s.unavailable(c, "minting the embedded session", err)
	default:
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusCreated, session)
	}
}

// openEmbedded spends an embedded session's ticket and sends its browser
// to the signing page, with the session in the URL's fragment, which no
// server and no Referer ever sees.
func (s *Server) openEmbedded(c *gin.Context) {
	opened, err := s.Embedding.Open(c.Request.Context(), c.Param("ticket"), func(r *models.Recipient) verification.EventFor {
		return func(eventType string) models.Event { return recipientEvent(c, r, eventType) }
	})
	signPageHeaders(c)
	switch {
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "invalid-link", "This signing session is not valid. Ask the application that opened it for a new one.")
	case errors.Is(err, database.ErrTicketSpent):
		problem(c, http.StatusGone, "session-spent", "This signing session was opened already or has expired. Ask the application that opened it for a new one.")
	case err != nil:
		s.unavailable(c, "opening the embedded session", err)
	default:
		frameAncestors(c, opened.FrameOrigin)
		c.Redirect(http.StatusSeeOther, s.PublicURL+opened.Page)
	}
}

func (s *Server) embedScript(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	// Versioned by its path: a new version is a new path.
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("Access-Control-Allow-Origin", "*")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", embedScript)
}
