package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/keys/accesstoken"
)

const principalKey = "signflow.principal"

// bearerChallenge answers 401 or 403 with the WWW-Authenticate header of
// RFC 6750 section 3.
func bearerChallenge(c *gin.Context, status int, code, description, scope string) {
	challenge := `Bearer realm="signflow"`
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + strings.ReplaceAll(description, `"`, "'") + `"`
	}
	if scope != "" {
		challenge += `, scope="` + scope + `"`
	}
	c.Header("WWW-Authenticate", challenge)
	slug := "unauthenticated"
	if status == http.StatusForbidden {
		slug = "insufficient-scope"
	}
	problem(c, status, slug, description)
}

// authenticate lets a request through with a valid access token and
// remembers whom it speaks for.
func (s *Server) authenticate(c *gin.Context) {
	raw, found := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !found || strings.TrimSpace(raw) == "" {
		bearerChallenge(c, http.StatusUnauthorized, "", "Send an access token from POST /oauth/token as 'Authorization: Bearer <token>'.", "")
		return
	}
	p, err := s.Tokens.Verify(c.Request.Context(), strings.TrimSpace(raw))
	if errors.Is(err, accesstoken.ErrInvalid) {
		bearerChallenge(c, http.StatusUnauthorized, "invalid_token", "The access token is expired, revoked, malformed or not meant for this API; get a new one from POST /oauth/token.", "")
		return
	}
	if err != nil {
		s.unavailable(c, "checking the access token", err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// requireScope refuses a token without the route's scope.
func (s *Server) requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); !p.Has(scope) {
			bearerChallenge(c, http.StatusForbidden, "insufficient_scope", "This route needs the scope "+scope+"; the token carries '"+strings.Join(p.Scopes, " ")+"'.", scope)
			return
		}
		c.Next()
	}
}

func principal(c *gin.Context) accesstoken.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(accesstoken.Principal)
	return pr
}

// tenantID is the tenant of the caller's access token: every query of a
// sender's route is scoped by it, so another tenant's IDs answer 404.
func tenantID(c *gin.Context) string { return principal(c).TenantID }
