package api

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/editing"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// The field editor: a page of its own, framed by the integrator's page.
//
//go:embed signpage/editor.html
var editorPageHTML []byte

//go:embed signpage/editor.js
var editorPageScript []byte

// editorKey holds the editor session a request's token opened.
const editorKey = "signflow.editor.session"

// createEditorSession mints a field editor's session for one template.
func (s *Server) createEditorSession(c *gin.Context) {
	var body struct {
		FrameOrigin string `json:"frame_origin"`
	}
	if c.Request.ContentLength != 0 && !readJSON(c, &body, `send JSON such as {"frame_origin": "https://app.example.com"}`) {
		return
	}
	session, err := s.Editing.Mint(c.Request.Context(), tenantID(c), c.Param("id"), principal(c).ClientID, body.FrameOrigin)
	var errs signing.FieldErrors
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "not-found", "No template with ID "+c.Param("id")+".")
	case err != nil:
		s.unavailable(c, "minting the editor session", err)
	default:
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusCreated, session)
	}
}

// editorSession admits a request that carries a working editor session as
// its bearer token, and nothing else.
func (s *Server) editorSession(c *gin.Context) {
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	e, err := s.Editing.Open(c.Request.Context(), token)
	switch {
	case errors.Is(err, editing.ErrUnavailable):
		c.Header("WWW-Authenticate", `Bearer realm="signflow-editor", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "editor-session-required", err.Error())
		c.Abort()
	case err != nil:
		s.unavailable(c, "checking the editor session", err)
		c.Abort()
	default:
		c.Set(editorKey, e)
		c.Next()
	}
}

func editorOf(c *gin.Context) *models.EditorSession {
	return c.MustGet(editorKey).(*models.EditorSession)
}

func (s *Server) editorDraft(c *gin.Context) {
	d, err := s.Editing.Load(c.Request.Context(), editorOf(c))
	if err != nil {
		s.unavailable(c, "loading the template", err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, d)
}

func (s *Server) editorPage(c *gin.Context) {
	doc, err := strconv.Atoi(c.Param("doc"))
	page, err2 := strconv.Atoi(c.Param("page"))
	width := defaultPageWidth
	if v := c.Query("width"); v != "" {
		if width, err = strconv.Atoi(v); err != nil || !slices.Contains(pdf.PageWidths, width) {
			invalid(c, signing.FieldErrors{{Field: "width", Message: fmt.Sprintf("give one of the widths %v in pixels", pdf.PageWidths)}})
			return
		}
	}
	if err != nil || err2 != nil {
		problem(c, http.StatusNotFound, "not-found", "No such page.")
		return
	}
	e := editorOf(c)
	if !s.renders.acquire(e.TenantID) {
		c.Header("Retry-After", "2")
		problem(c, http.StatusTooManyRequests, "engine-busy", "Many pages of this account are being drawn; retry in a few seconds.")
		return
	}
	defer s.renders.release(e.TenantID)
	image, err := s.Editing.Page(c.Request.Context(), e, doc, page, width)
	switch {
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "not-found", "No such page.")
	case err != nil:
		s.unavailable(c, "drawing the page", err)
	default:
		c.Header("Cache-Control", "private, max-age=300")
		c.Data(http.StatusOK, "image/png", image)
	}
}

func (s *Server) saveEditorFields(c *gin.Context) {
	var body struct {
		Version int                    `json:"version"`
		Fields  []signing.FieldRequest `json:"fields"`
	}
	if !readJSON(c, &body, `send JSON such as {"version": 1, "fields": [{"recipient": 0, "type": "signature", "page": 1, "x": 0.1, "y": 0.7, "width": 0.3, "height": 0.05}]}`) {
		return
	}
	version, err := s.Editing.Save(c.Request.Context(), editorOf(c), body.Version, body.Fields)
	var errs signing.FieldErrors
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.Is(err, models.ErrConflict):
		problem(c, http.StatusConflict, "edit-conflict", "The template was changed meanwhile; open the editor again.")
	case err != nil:
		s.unavailable(c, "saving the fields", err)
	default:
		c.JSON(http.StatusOK, gin.H{"version": version})
	}
}

// editorPageView is the editor's page; the tenant's origins may frame it.
func (s *Server) editorPageView(c *gin.Context) {
	signPageHeaders(c)
	if e, err := s.Editing.Open(c.Request.Context(), c.Param("session")); err == nil {
		if settings, err := s.Store.EmbedSettingsOf(c.Request.Context(), e.TenantID); err == nil {
			frameAncestors(c, settings.Origins)
		}
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", editorPageHTML)
}

func (s *Server) editorScript(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", editorPageScript)
}
