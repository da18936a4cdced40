package api

import (
	_ "embed"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/publiclinks"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// The self-serve page: a name and an email, then the signing page.
//
//go:embed signpage/public.html
var publicPageHTML []byte

//go:embed signpage/public.js
var publicPageScript []byte

func (s *Server) getPublicLink(c *gin.Context) {
	v, err := s.PublicLinks.Get(c.Request.Context(), tenantID(c), c.Param("id"))
	s.answerPublicLink(c, v, err)
}

func (s *Server) putPublicLink(c *gin.Context) {
	var body publiclinks.Settings
	if !readJSON(c, &body, `send JSON such as {"enabled": true, "max_uses": 100, "expires_at": "2027-01-31T00:00:00Z"}`) {
		return
	}
	v, err := s.PublicLinks.Configure(c.Request.Context(), tenantID(c), c.Param("id"), body)
	s.answerPublicLink(c, v, err)
}

func (s *Server) rotatePublicLink(c *gin.Context) {
	v, err := s.PublicLinks.Rotate(c.Request.Context(), tenantID(c), c.Param("id"))
	s.answerPublicLink(c, v, err)
}

func (s *Server) answerPublicLink(c *gin.Context, v publiclinks.View, err error) {
	var errs signing.FieldErrors
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "not-found", "No template with ID "+c.Param("id")+" has a self-serve link; PUT one.")
	case err != nil:
		s.unavailable(c, "handling the self-serve link", err)
	default:
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, v)
	}
}

// publicOffer is what a self-serve link shows: the template's name and
// its documents' names, or 404 for a link that is unknown, off or used up.
func (s *Server) publicOffer(c *gin.Context) {
	o, err := s.PublicLinks.Offer(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.publicFailed(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, o)
}

// startPublic makes the visitor's envelope and answers its signing page.
func (s *Server) startPublic(c *gin.Context) {
	var body publiclinks.Visitor
	if !readJSON(c, &body, `send JSON such as {"name": "Ada Lovelace", "email": "ada@example.com"}`) {
		return
	}
	url, err := s.PublicLinks.Start(c.Request.Context(), c.Param("token"), body, c.ClientIP(), userAgent(c))
	if err != nil {
		s.publicFailed(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"signing_url": url})
}

func (s *Server) publicFailed(c *gin.Context, err error) {
	var errs signing.FieldErrors
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.Is(err, publiclinks.ErrUnavailable):
		problem(c, http.StatusNotFound, "link-unavailable", "This link is not available. Ask whoever gave it to you for another.")
	case errors.Is(err, publiclinks.ErrTooMany):
		c.Header("Retry-After", strconv.Itoa(3600))
		problem(c, http.StatusTooManyRequests, "rate-limited", "Too many envelopes were started from here or through this link; retry in an hour.")
	default:
		s.unavailable(c, "starting the envelope", err)
	}
}

func (s *Server) publicPage(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", publicPageHTML)
}

func (s *Server) publicScript(c *gin.Context) {
	signPageHeaders(c)
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", publicPageScript)
}
