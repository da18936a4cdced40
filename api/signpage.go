package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
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
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; "+
		"style-src 'unsafe-inline'; img-src 'self' blob: data:; frame-src blob:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
}

func (s *Server) signingPage(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", signPageHTML)
}

func (s *Server) signingScript(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", signPageScript)
}
