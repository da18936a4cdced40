package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/models"
)

// codecBody caps a batch of payloads the Web UI asks to have decoded.
const codecBody = 8 << 20

// codecRoutes serve Temporal's remote codec protocol (POST /codec/decode
// and /codec/encode with a JSON list of payloads), so an operator's Web UI
// shows the payloads that Temporal itself holds only encrypted. The UI
// calls from the operator's browser: its origin must be allowed, and the
// request must carry an operator client's access token (no tenant) with
// the payloads:decode scope (the UI passes its own when its identity
// provider is Signflow's external one), except on `signflow dev`'s
// loopback, where the dev UI has none.
func (s *Server) codecRoutes(r *gin.Engine) {
	if s.Codec == nil {
		return
	}
	g := r.Group("/codec", s.codecCORS, limitBody(codecBody))
	auth := []gin.HandlerFunc{s.authenticate, s.requireScope(models.ScopePayloadsDecode), operatorOnly}
	if s.CodecWithoutToken {
		auth = []gin.HandlerFunc{s.loopbackOnly}
	}
	codec := gin.WrapH(s.Codec)
	for _, path := range []string{"/decode", "/encode"} {
		g.POST(path, append(auth, codec)...)
		g.OPTIONS(path) // answered by codecCORS
	}
}

// codecCORS lets the configured Web UI origins call the codec endpoint and
// answers their preflight requests.
func (s *Server) codecCORS(c *gin.Context) {
	origin := strings.TrimRight(c.GetHeader("Origin"), "/")
	if origin != "" && slices.Contains(s.CodecOrigins, origin) {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
	}
	if c.Request.Method == http.MethodOptions {
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// operatorOnly admits clients of no tenant: payloads in Temporal belong to
// every tenant, and only the operator may read them all.
func operatorOnly(c *gin.Context) {
	if tenantID(c) != "" {
		problem(c, http.StatusForbidden, "operator-only",
			"The codec decodes payloads for operator clients only (signflow clients create --operator); read your envelopes through the API.")
		return
	}
	c.Next()
}

// loopbackOnly admits requests from this machine alone.
func (s *Server) loopbackOnly(c *gin.Context) {
	ip := c.RemoteIP()
	if ip != "127.0.0.1" && ip != "::1" {
		problem(c, http.StatusForbidden, "forbidden", "Without an access token the codec answers only on this machine.")
		return
	}
	c.Next()
}
