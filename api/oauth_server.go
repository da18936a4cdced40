package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/models"
)

// tokenError answers the token endpoint as RFC 6749 section 5.2 says.
func tokenError(c *gin.Context, status int, code, description string) {
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Basic realm="signflow"`)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, gin.H{"error": code, "error_description": description})
}

// issueToken is the client credentials grant (RFC 6749 section 4.4), with
// client_secret_basic or client_secret_post.
func (s *Server) issueToken(c *gin.Context) {
	if ct := c.ContentType(); ct != "application/x-www-form-urlencoded" {
		tokenError(c, http.StatusBadRequest, "invalid_request", "send the request as application/x-www-form-urlencoded")
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		tokenError(c, http.StatusBadRequest, "invalid_request", "the form body could not be read")
		return
	}
	form := c.Request.PostForm
	if form.Get("grant_type") != "client_credentials" {
		tokenError(c, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=client_credentials is supported")
		return
	}
	id, secret, ok := clientCredentials(c, form)
	if !ok {
		tokenError(c, http.StatusBadRequest, "invalid_request", "authenticate the client once: HTTP Basic (client_secret_basic) or client_id and client_secret in the form (client_secret_post)")
		return
	}
	client, err := s.Store.GetClient(c.Request.Context(), id)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.unavailable(c, "checking the client", err)
		return
	}
	if client == nil || client.RevokedAt != nil || !accesstoken.SecretMatches(client, secret) {
		tokenError(c, http.StatusUnauthorized, "invalid_client", "unknown client, wrong secret, or a revoked client")
		return
	}
	scopes := client.Scopes
	if requested := strings.Fields(form.Get("scope")); len(requested) > 0 {
		for _, sc := range requested {
			if !slices.Contains(client.Scopes, sc) {
				tokenError(c, http.StatusBadRequest, "invalid_scope", "the client is not granted "+sc+"; it holds "+strings.Join(client.Scopes, " "))
				return
			}
		}
		scopes = requested
	}
	token, err := s.Tokens.Issue(c.Request.Context(), client, scopes)
	if err != nil {
		s.unavailable(c, "issuing the token", err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, gin.H{"access_token": token, "token_type": "Bearer",
		"expires_in": int(s.Tokens.TTL.Seconds()), "scope": strings.Join(scopes, " ")})
}

// clientCredentials reads the client's ID and secret from exactly one of
// the two places RFC 6749 section 2.3.1 allows.
func clientCredentials(c *gin.Context, form url.Values) (id, secret string, ok bool) {
	basicID, basicSecret, basic := c.Request.BasicAuth()
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	switch {
	case basic && postSecret == "":
		// The Basic credentials are form-encoded first (section 2.3.1).
		id, errID := url.QueryUnescape(basicID)
		secret, errSecret := url.QueryUnescape(basicSecret)
		return id, secret, errID == nil && errSecret == nil && id != ""
	case !basic && postID != "" && postSecret != "":
		return postID, postSecret, true
	}
	return "", "", false
}

func (s *Server) jwks(c *gin.Context) {
	set, err := s.Tokens.JWKS(c.Request.Context())
	if err != nil {
		s.unavailable(c, "loading the signing keys", err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/jwk-set+json", set)
}

// authorizationServer is the RFC 8414 metadata, so that OAuth libraries
// find the token endpoint and keys themselves.
func (s *Server) authorizationServer(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{
		"issuer":                                s.Tokens.Issuer,
		"token_endpoint":                        s.PublicURL + "/oauth/token",
		"jwks_uri":                              s.PublicURL + "/.well-known/jwks.json",
		"grant_types_supported":                 []string{"client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      models.Scopes,
	})
}
