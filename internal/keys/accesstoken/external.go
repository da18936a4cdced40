package accesstoken

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// External checks tokens from a company's own OAuth server: its issuer,
// our audience, a signature by a key in its JWKS (fetched and refreshed in
// the background), and a tenant claim.
type External struct {
	Issuer      string
	Audience    string
	TenantClaim string
	keys        keyfunc.Keyfunc
}

// NewExternal starts following the provider's JWKS until ctx ends.
func NewExternal(ctx context.Context, issuer, audience, jwksURL, tenantClaim string) (*External, error) {
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{jwksURL})
	if err != nil {
		return nil, fmt.Errorf("follow JWKS %s: %w", jwksURL, err)
	}
	return &External{Issuer: issuer, Audience: audience, TenantClaim: tenantClaim, keys: kf}, nil
}

// issues says whether a token claims to come from this provider.
func (e *External) issues(raw string) bool {
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return false
	}
	iss, _ := c.GetIssuer()
	return iss == e.Issuer
}

func (e *External) verify(raw string, now func() time.Time) (Principal, error) {
	var c jwt.MapClaims
	_, err := jwt.ParseWithClaims(raw, &c, e.keys.Keyfunc,
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "PS256"}),
		jwt.WithIssuer(e.Issuer), jwt.WithAudience(e.Audience), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(now), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	tenant, _ := c[e.TenantClaim].(string)
	if tenant == "" {
		return Principal{}, fmt.Errorf("%w: the token has no %q claim naming the tenant", ErrInvalid, e.TenantClaim)
	}
	client, _ := c["client_id"].(string)
	if client == "" {
		client, _ = c.GetSubject()
	}
	return Principal{ClientID: client, TenantID: tenant, Scopes: scopes(c)}, nil
}

// scopes reads "scope" (RFC 9068, space-separated) or "scp" (a list, as
// some providers write it).
func scopes(c jwt.MapClaims) []string {
	if s, ok := c["scope"].(string); ok {
		return strings.Fields(s)
	}
	var out []string
	if list, ok := c["scp"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
