package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/keys/signinglink"
)

// Bounds on what one request may bring, so that no caller can make the
// API, the audit trail or a workflow history carry more than these.
const (
	// smallBody caps JSON bodies of routes that take a few short fields.
	smallBody = 64 << 10
	// signBody caps a signature: its values, drawn images included.
	signBody = 8 << 20
	// draftBody caps a draft: values and drawn signature and initials,
	// never files.
	draftBody = 4 << 20
	// brandingBody caps a tenant's branding: a logo of 100 KB in base64.
	brandingBody = 256 << 10
	// MaxHeaderBytes caps the request line and headers together.
	MaxHeaderBytes = 64 << 10
	// maxUserAgent is as much of a User-Agent as is recorded.
	maxUserAgent = 512
)

// Recipient routes are reached with a link alone, so they are limited per
// link and per address, by counters in the database that every API
// replica shares.
const (
	linkRequestsPerMinute    = 120
	addressRequestsPerMinute = 1200
)

// limitHeaders refuses a request whose request line and headers pass
// MaxHeaderBytes. http.Server enforces its MaxHeaderBytes on a
// connection's first request only; later requests of a kept-alive
// connection may bring up to about 1 MB of headers unless this checks.
func limitHeaders(c *gin.Context) {
	n := len(c.Request.Method) + len(c.Request.RequestURI) + len(c.Request.Proto) + len(c.Request.Host)
	for k, vs := range c.Request.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	if n > MaxHeaderBytes+4096 { // the same slack as http.Server's
		problem(c, http.StatusRequestHeaderFieldsTooLarge, "headers-too-large",
			fmt.Sprintf("Keep the request line and headers under %d bytes.", MaxHeaderBytes))
		return
	}
	c.Next()
}

// limitBody caps the request body of a route: a body that says it is
// larger is refused unread, and reading past the cap fails with
// *http.MaxBytesError, which readJSON answers as 413.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			// Unread, the rest of the body is not worth keeping the connection for.
			c.Header("Connection", "close")
			bodyProblem(c, &http.MaxBytesError{Limit: n}, "")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// readJSON decodes a JSON body into v, answering 413 itself for a body
// over the route's cap and 400 with example for anything unreadable.
func readJSON(c *gin.Context, v any, example string) bool {
	if err := c.ShouldBindJSON(v); err != nil {
		bodyProblem(c, err, example)
		return false
	}
	return true
}

// readStrictJSON reads a body of at most limit bytes into v, refusing
// unknown fields; false when it has answered.
func readStrictJSON(c *gin.Context, limit int64, v any, what string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		bodyProblem(c, err, "the "+what+" JSON is invalid: "+err.Error())
		return false
	}
	return true
}

// bodyProblem answers a body that could not be read: 413 past its cap,
// else 400 with detail.
func bodyProblem(c *gin.Context, err error, detail string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem(c, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("The request body may be at most %d bytes.", tooBig.Limit))
		return
	}
	problem(c, http.StatusBadRequest, "malformed-request", detail)
}

// limitLinks paces requests that carry a signing or download link: per
// link and per client address, before the link is even looked up.
func (s *Server) limitLinks(c *gin.Context) {
	buckets := []struct {
		key   string
		limit int
	}{
		{"link:" + signinglink.Hash(linkCredential(c))[:48], linkRequestsPerMinute},
		{"addr:" + c.ClientIP(), addressRequestsPerMinute},
	}
	for _, b := range buckets {
		hits, err := s.Store.Hit(c.Request.Context(), b.key, time.Minute, s.now())
		if err != nil {
			s.unavailable(c, "counting requests", err)
			return
		}
		if hits > b.limit {
			c.Header("Retry-After", strconv.Itoa(60))
			problem(c, http.StatusTooManyRequests, "rate-limited", "Too many requests for this link or from this address; retry in a minute.")
			return
		}
	}
	c.Next()
}

// linkCredential is what a link route's request holds instead of an
// access token: the token or ticket in its path, or an editor session's
// bearer token.
func linkCredential(c *gin.Context) string {
	bearer, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return cmp.Or(c.Param("token"), c.Param("ticket"), c.Param("session"), bearer)
}

// userAgent is the request's User-Agent as recorded: at most maxUserAgent
// bytes, cut on a character boundary.
func userAgent(c *gin.Context) string {
	ua := c.Request.UserAgent()
	if len(ua) <= maxUserAgent {
		return ua
	}
	cut := maxUserAgent
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}
