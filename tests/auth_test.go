package tests

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/models"
)

// tokenRequest posts a form to /oauth/token and decodes the JSON answer.
func tokenRequest(t *testing.T, base string, form url.Values, basicID, basicSecret string) (*http.Response, J) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body J
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp, body
}

func newClient(t *testing.T, tenant string, scopes ...string) (*models.APIClient, string) {
	t.Helper()
	c, secret := accesstoken.NewClient(tenant, "test", scopes, time.Now())
	require.NoError(t, suite.store.CreateClient(context.Background(), c))
	return &c, secret
}

func TestClientCredentialsGrant(t *testing.T) {
	t.Parallel()
	c, secret := newClient(t, "tenant-grant", models.ScopeEnvelopesRead, models.ScopeEnvelopesWrite)
	grant := url.Values{"grant_type": {"client_credentials"}}

	resp, body := tokenRequest(t, suite.apiURL, grant, c.ID, secret)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Equal(t, "Bearer", body["token_type"])
	require.Equal(t, "envelopes:read envelopes:write", body["scope"])
	token := str(body, "access_token")

	// RFC 9068: typ at+jwt, a kid published in the JWKS, the claims it lists.
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	require.Equal(t, "at+jwt", parsed.Header["typ"])
	claims := parsed.Claims.(jwt.MapClaims)
	for _, name := range []string{"iss", "aud", "exp", "iat", "jti", "sub", "client_id", "scope"} {
		require.Contains(t, claims, name)
	}
	require.Equal(t, c.ID, claims["client_id"])
	status, set := getJSON(t, suite.apiURL+"/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, keyIDs(set), parsed.Header["kid"])

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {secret}, "scope": {"envelopes:read"}}
	resp, body = tokenRequest(t, suite.apiURL, form, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "client_secret_post: %v", body)
	require.Equal(t, "envelopes:read", body["scope"], "a narrower scope on request")

	cases := []struct {
		name        string
		form        url.Values
		basic       bool
		status      int
		code        string
		basicHeader bool
	}{
		{"wrong secret", grant, false, 401, "invalid_client", true},
		{"two client authentications", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {secret}}, true, 400, "invalid_request", false},
		{"another grant", url.Values{"grant_type": {"password"}}, true, 400, "unsupported_grant_type", false},
		{"a scope not granted", url.Values{"grant_type": {"client_credentials"}, "scope": {"audit:read"}}, true, 400, "invalid_scope", false},
		{"no client", grant, false, 400, "invalid_request", false},
	}
	for _, tc := range cases {
		id, sec := "", ""
		if tc.basic {
			id, sec = c.ID, secret
		} else if tc.code == "invalid_client" {
			id, sec = c.ID, "sfs_wrong"
		}
		resp, body := tokenRequest(t, suite.apiURL, tc.form, id, sec)
		require.Equal(t, tc.status, resp.StatusCode, tc.name)
		require.Equal(t, tc.code, body["error"], tc.name)
		require.NotEmpty(t, body["error_description"], tc.name)
		if tc.basicHeader {
			require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic", tc.name)
		}
	}
}

func keyIDs(set J) []any {
	var ids []any
	for _, k := range at(set, "keys").([]any) {
		ids = append(ids, k.(J)["kid"])
	}
	return ids
}

// withToken sends a request with the given bearer token (none if empty).
func withToken(t *testing.T, method, url, token string) (int, J, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(`{"reason": "test", "name": "Someone Else"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body J
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

func TestTokensThatAreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := newClient(t, models.DefaultTenantID, models.ScopeEnvelopesRead)
	readOnly, err := suite.tokens.Issue(ctx, c, c.Scopes)
	require.NoError(t, err)
	past := &accesstoken.Authority{Store: suite.store, Issuer: tokenIssuer, Audience: tokenIssuer, TTL: time.Minute,
		Rotation: 30 * 24 * time.Hour, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }, Sealer: suite.dataKeys}
	expired, err := past.Issue(ctx, c, c.Scopes)
	require.NoError(t, err)
	elsewhere := &accesstoken.Authority{Store: suite.store, Issuer: tokenIssuer, Audience: "https://another.example",
		TTL: time.Hour, Rotation: 30 * 24 * time.Hour, Sealer: suite.dataKeys}
	wrongAudience, err := elsewhere.Issue(ctx, c, c.Scopes)
	require.NoError(t, err)
	parts := strings.Split(readOnly, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forgedClaims := strings.Replace(string(claims), `"scope":"envelopes:read"`, `"scope":"envelopes:read envelopes:write"`, 1)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forgedClaims)) + "." + parts[2]
	revokedClient, _ := newClient(t, models.DefaultTenantID, models.ScopeEnvelopesRead)
	revoked, err := suite.tokens.Issue(ctx, revokedClient, revokedClient.Scopes)
	require.NoError(t, err)
	require.NoError(t, suite.store.RevokeClient(ctx, revokedClient.ID, time.Now()))

	list := suite.apiURL + "/v1/envelopes"
	for _, tc := range []struct {
		name, method, url, token string
		status                   int
		challenge                string
	}{
		{"no token", http.MethodGet, list, "", 401, `Bearer realm="signflow"`},
		{"expired", http.MethodGet, list, expired, 401, `error="invalid_token"`},
		{"forged", http.MethodGet, list, forged, 401, `error="invalid_token"`},
		{"wrong audience", http.MethodGet, list, wrongAudience, 401, `error="invalid_token"`},
		{"revoked client", http.MethodGet, list, revoked, 401, `error="invalid_token"`},
		{"not a JWT", http.MethodGet, list, "abc", 401, `error="invalid_token"`},
		{"wrong scope", http.MethodPost, list + "/x/void", readOnly, 403, `scope="envelopes:write"`},
		{"audit without audit:read", http.MethodGet, list + "/x/audit", readOnly, 403, `scope="audit:read"`},
		{"a read token where reading is enough", http.MethodGet, suite.apiURL + "/v1/certificates", readOnly, 200, ""},
	} {
		status, body, h := withToken(t, tc.method, tc.url, tc.token)
		require.Equal(t, tc.status, status, "%s: %v", tc.name, body)
		require.Contains(t, h.Get("WWW-Authenticate"), tc.challenge, tc.name)
	}
	status, _, _ := withToken(t, http.MethodGet, list, readOnly)
	require.Equal(t, http.StatusOK, status, "the same token is good where its scope is")
}

func TestATenantSeesOnlyItsOwnEnvelopes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, doc, rid := str(created, "id"), str(created, "documents", 0, "id"), str(created, "recipients", 0, "id")
	other, err := issueToken(ctx, "tenant-b", models.Scopes...)
	require.NoError(t, err)

	status, hook := postJSON(t, suite.apiURL+"/v1/webhooks", J{"url": "https://example.com/hooks"})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	webhook := suite.apiURL + "/v1/webhooks/" + str(hook, "id")

	env := suite.apiURL + "/v1/envelopes/" + id
	for _, tc := range []struct{ method, url string }{
		{http.MethodGet, webhook},
		{http.MethodDelete, webhook},
		{http.MethodGet, webhook + "/deliveries"},
		{http.MethodPost, webhook + "/rotate-secret"},
		{http.MethodGet, env},
		{http.MethodPost, env + "/void"},
		{http.MethodGet, env + "/documents/" + doc},
		{http.MethodGet, env + "/documents/" + doc + "/final"},
		{http.MethodGet, env + "/audit"},
		{http.MethodGet, env + "/audit/verify"},
		{http.MethodGet, env + "/audit/export"},
		{http.MethodGet, env + "/certificate"},
		{http.MethodPost, env + "/recipients/" + rid + "/resend"},
		{http.MethodPatch, env + "/recipients/" + rid},
	} {
		status, body, _ := withToken(t, tc.method, tc.url, other)
		require.Equal(t, http.StatusNotFound, status, "%s %s as another tenant: %v", tc.method, tc.url, body)
	}
	status, list, _ := withToken(t, http.MethodGet, suite.apiURL+"/v1/envelopes?limit=100", other)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, at(list, "envelopes"), "tenant B lists none of tenant A's envelopes")
	status, feed, _ := withToken(t, http.MethodGet, suite.apiURL+"/v1/events?envelope="+id, other)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, at(feed, "events"), "nor their events")
	status, hooks, _ := withToken(t, http.MethodGet, suite.apiURL+"/v1/webhooks", other)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, at(hooks, "webhooks"), "nor their webhooks")
	status, _ = sendWith(t, http.MethodDelete, webhook, "", nil, nil)
	require.Equal(t, http.StatusNoContent, status)

	status, _ = getJSON(t, env)
	require.Equal(t, http.StatusOK, status, "tenant A still sees it")
	status, body := postJSON(t, env+"/void", J{"reason": "done testing"})
	require.Equal(t, http.StatusOK, status, "%v", body)
}

func TestTokensOfAnExternalIdentityProvider(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(J{"keys": []J{{"kty": "RSA", "kid": "idp-1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": "AQAB"}}})
	}))
	defer jwks.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ext, err := accesstoken.NewExternal(ctx, "https://idp.example", "signflow-api", jwks.URL, "tenant")
	require.NoError(t, err)
	d := suite.deps
	d.Tokens = &accesstoken.Authority{Store: suite.store, Issuer: tokenIssuer, Audience: tokenIssuer,
		TTL: time.Hour, Rotation: 30 * 24 * time.Hour, External: ext, Sealer: suite.dataKeys}
	apiURL := serveAPI(t, d, testSettings(taskQueue))

	sign := func(claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = "idp-1"
		signed, err := tok.SignedString(key)
		require.NoError(t, err)
		return signed
	}
	base := jwt.MapClaims{"iss": "https://idp.example", "aud": "signflow-api", "sub": "billing-service",
		"exp": time.Now().Add(time.Hour).Unix(), "scope": "envelopes:read", "tenant": "acme"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for name, val := range base {
			c[name] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	status, body, _ := withToken(t, http.MethodGet, apiURL+"/v1/envelopes", sign(base))
	require.Equal(t, http.StatusOK, status, "%v", body)
	for name, claims := range map[string]jwt.MapClaims{
		"wrong audience": with("aud", "someone-else"),
		"no tenant":      with("tenant", nil),
		"expired":        with("exp", time.Now().Add(-time.Hour).Unix()),
	} {
		status, _, _ := withToken(t, http.MethodGet, apiURL+"/v1/envelopes", sign(claims))
		require.Equal(t, http.StatusUnauthorized, status, name)
	}
	status, _, _ = withToken(t, http.MethodPost, apiURL+"/v1/envelopes/x/void", sign(base))
	require.Equal(t, http.StatusForbidden, status, "scopes of external tokens count too")
}

func TestClientsCommand(t *testing.T) {
	t.Parallel()
	run := func(args ...string) string {
		cmd := exec.Command(suite.binary, append([]string{"clients"}, args...)...)
		cmd.Env = append(cmd.Environ(), "DATABASE_URL="+suite.databaseURL, "SIGNFLOW_DATA_DIR="+t.TempDir())
		out, err := cmd.Output()
		require.NoError(t, err, "signflow clients %v", args)
		return string(out)
	}
	var created J
	require.NoError(t, json.Unmarshal([]byte(run("create", "--tenant", "cli-tenant", "--name", "billing", "--scopes", "envelopes:read")), &created))
	id, secret := str(created, "client_id"), str(created, "client_secret")
	listed := run("list")
	require.Contains(t, listed, id)
	require.Contains(t, listed, "cli-tenant")
	require.NotContains(t, listed, secret, "a secret is shown once")

	resp, body := tokenRequest(t, suite.apiURL, url.Values{"grant_type": {"client_credentials"}}, id, secret)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body)
	token := str(body, "access_token")
	run("revoke", id)
	resp, _ = tokenRequest(t, suite.apiURL, url.Values{"grant_type": {"client_credentials"}}, id, secret)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a revoked client gets no token")
	status, _, _ := withToken(t, http.MethodGet, suite.apiURL+"/v1/envelopes", token)
	require.Equal(t, http.StatusUnauthorized, status, "and its tokens are refused")
}
