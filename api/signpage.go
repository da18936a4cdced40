package api

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/typeset"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
)

// The signing page is a static client of the recipient API: everything it
// shows and does goes through /v1/signing/{token}, so a person in a browser
// and an integrator's own interface follow the same rules.
//
//go:embed signpage/page.html
var signPageHTML []byte

//go:embed signpage/sign.js
var signPageScript []byte

// signPageHeaders keep the token in the page's URL from leaking: no
// Referer leaves the page, nothing caches it, nothing frames it, and only
// its own script runs.
func signPageHeaders(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	frameAncestors(c, "'none'")
}

// frameAncestors sets who may frame the page: 'none', or an embedded
// recipient's tenant's origins.
func frameAncestors(c *gin.Context, sources string) {
	if sources == "" {
		sources = "'none'"
	}
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; "+
		"style-src 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self'; frame-src blob:; frame-ancestors "+sources+
		"; form-action 'none'; base-uri 'none'")
}

// signingPage is the page; an embedded recipient's may be framed by their
// tenant's origins, anyone else's by no one.
func (s *Server) signingPage(c *gin.Context) {
	signPageHeaders(c)
	ctx := c.Request.Context()
	if r, err := s.Store.RecipientByTokenHash(ctx, signinglink.Hash(c.Param("token"))); err == nil {
		if sources, err := s.Embedding.FrameAncestors(ctx, r); err == nil {
			frameAncestors(c, sources)
		}
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", signPageHTML)
}

func (s *Server) signingScript(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", signPageScript)
}

// signingMessages is one language's messages for the page, the same file
// the emails are written from.
func (s *Server) signingMessages(c *gin.Context) {
	tag, ok := strings.CutSuffix(c.Param("file"), ".json")
	data, known := locale.Messages(tag)
	if !ok || !known {
		problem(c, http.StatusNotFound, "not-found", "Signflow speaks "+strings.Join(locale.Supported(), ", ")+".")
		return
	}
	signPageHeaders(c)
	c.Data(http.StatusOK, "application/json; charset=utf-8", data)
}

// handwritingFont lets the page show a typed signature in the font the
// final document stamps it in.
func (s *Server) handwritingFont(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "font/ttf", typeset.HandwritingFont())
}
