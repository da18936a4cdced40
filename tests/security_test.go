package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
)

// The security suite keeps the security review's findings fixed: every
// route refuses a caller without a token, without the route's scope, or of
// another tenant; a link shows nothing before its second factor; guessing
// ends; decoders refuse bombs before they allocate (bombs_test.go).

// securedRoute is an operation of the OpenAPI document that takes an
// access token, with the scope it names.
type securedRoute struct{ method, path, scope string }

// securedRoutes reads them from api/openapi.yaml, so that a route added
// there is checked here without anyone remembering to.
func securedRoutes(t *testing.T) []securedRoute {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(suite.root, "api", "openapi.yaml"))
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	var routes []securedRoute
	for path, ops := range doc.Paths {
		for method, node := range ops {
			if method == "parameters" || !strings.HasPrefix(path, "/v1/") || strings.Contains(path, "{token}") {
				continue
			}
			var op struct {
				Security []map[string][]string `yaml:"security"`
			}
			require.NoError(t, node.Decode(&op), "%s %s", method, path)
			// Every /v1 route but the recipients' and the field editor's
			// (whose editor session is its credential) names its scope.
			require.Len(t, op.Security, 1, "%s %s names one security requirement", method, path)
			if _, editor := op.Security[0]["editorSession"]; editor {
				continue
			}
			scopes, ok := op.Security[0]["oauth2"]
			require.True(t, ok && len(scopes) == 1, "%s %s names the one scope it needs", method, path)
			routes = append(routes, securedRoute{strings.ToUpper(method), path, scopes[0]})
		}
	}
	slices.SortFunc(routes, func(a, b securedRoute) int { return strings.Compare(a.path+a.method, b.path+b.method) })
	return routes
}

// bare sends a request exactly as given: no token is added.
func bare(t *testing.T, method, url, token string, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

var (
	pathParam   = regexp.MustCompile(`\{([a-z]+)\}`)
	problemType = regexp.MustCompile(`"type":"[^"]+"`)
)

// TestEveryRouteRefusesNoTokenAMissingScopeAndAnotherTenant calls every
// sender route of the OpenAPI document three ways. Without a token it is
// 401; with a token of every scope but its own, 403; with another tenant's
// token of every scope, on this tenant's resources, it answers exactly as
// for resources that do not exist, and changes nothing.
func TestEveryRouteRefusesNoTokenAMissingScopeAndAnotherTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, other := "owner-"+newTestID(), "other-"+newTestID()
	ownerToken, err := issueToken(ctx, owner, models.Scopes...)
	require.NoError(t, err)
	otherToken, err := issueToken(ctx, other, models.Scopes...)
	require.NoError(t, err)
	base := suite.apiURL
	as := map[string]string{"Authorization": "Bearer " + ownerToken}

	// The owner's resources: an envelope, a webhook, a template, a bulk send.
	status, created := sendWith(t, http.MethodPost, base+"/v1/envelopes", "application/json",
		jsonBody(t, jsonEnvelope(t, []J{signer("matrix", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})), as)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	status, hook := sendWith(t, http.MethodPost, base+"/v1/webhooks", "application/json", jsonBody(t, J{"url": "https://example.com/hooks"}), as)
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	status, template := sendWith(t, http.MethodPost, base+"/v1/templates", "application/json", jsonBody(t, employmentTemplate(t, "Matrix")), as)
	require.Equal(t, http.StatusCreated, status, "%v", template)
	status, bulk := sendWith(t, http.MethodPost, base+"/v1/bulk-sends", "application/json",
		jsonBody(t, J{"template_id": str(template, "id"), "rows": bulkRows(1)}), as)
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	envID := str(created, "id")
	real := map[string]string{"rid": str(created, "recipients", 0, "id"), "doc": str(created, "documents", 0, "id"),
		"field": str(created, "fields", 0, "id"), "did": "whd_none"}
	idOf := map[string]string{"/v1/envelopes/": envID, "/v1/webhooks/": str(hook, "id"), "/v1/templates/": str(template, "id"),
		"/v1/bulk-sends/": str(bulk, "id")}
	fill := func(path string, exists bool) string {
		return pathParam.ReplaceAllStringFunc(path, func(p string) string {
			name := strings.Trim(p, "{}")
			if !exists {
				return "01a00000-0000-7000-8000-000000000000"
			}
			if name == "id" {
				for prefix, id := range idOf {
					if strings.HasPrefix(path, prefix) {
						return id
					}
				}
			}
			return real[name]
		})
	}

	routes := securedRoutes(t)
	require.Greater(t, len(routes), 40)
	for _, r := range routes {
		body := ""
		if r.method != http.MethodGet && r.method != http.MethodDelete {
			body = "{}"
		}
		url := base + fill(r.path, true)
		status, answer := bare(t, r.method, url, "", body)
		require.Equal(t, http.StatusUnauthorized, status, "%s %s without a token: %s", r.method, r.path, answer)

		var others []string
		for _, s := range models.Scopes {
			if s != r.scope {
				others = append(others, s)
			}
		}
		narrow, err := issueToken(ctx, owner, others...)
		require.NoError(t, err)
		status, answer = bare(t, r.method, url, narrow, body)
		require.Equal(t, http.StatusForbidden, status, "%s %s without %s: %s", r.method, r.path, r.scope, answer)

		if !strings.Contains(r.path, "{") {
			continue // it acts on the caller's own tenant by construction
		}
		want, wantBody := bare(t, r.method, base+fill(r.path, false), otherToken, body)
		got, gotBody := bare(t, r.method, url, otherToken, body)
		require.Equal(t, want, got, "%s %s by another tenant answers as for nothing: %s", r.method, r.path, gotBody)
		require.GreaterOrEqual(t, got, 400, "%s %s by another tenant: %s", r.method, r.path, gotBody)
		require.Equal(t, problemType.FindString(wantBody), problemType.FindString(gotBody), "%s %s: %s", r.method, r.path, gotBody)
	}

	// Nothing another tenant sent changed the owner's envelope or webhook.
	status, env := sendWith(t, http.MethodGet, base+"/v1/envelopes/"+envID, "", nil, as)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, models.EnvelopeInProgress, str(env, "status"))
	require.Equal(t, false, env["legal_hold"], "no legal hold was placed by another tenant")
	status, _ = sendWith(t, http.MethodGet, base+"/v1/webhooks/"+str(hook, "id"), "", nil, as)
	require.Equal(t, http.StatusOK, status, "the webhook was not deleted by another tenant")
}

// TestALinkWithoutItsSecondFactorShowsNothingOfAnyone: the second signer's
// link, forwarded or intercepted, shows no value, name or email of anyone,
// not even its own recipient's, and no document, until the code is given.
func TestALinkWithoutItsSecondFactorShowsNothingOfAnyone(t *testing.T) {
	t.Parallel()
	first, second := unique("first.signer"), unique("second.signer")
	ssn := "078-05-1120"
	text := fieldAt(0, "text", 1, box{0.1, 0.5, 0.3, 0.04})
	status, created := postJSON(t, suite.apiURL+"/v1/envelopes", jsonEnvelope(t,
		[]J{withCode(J{"name": "Farida Mansour", "email": first, "role": "signer", "routing_order": 1}),
			withCode(J{"name": "Chen Jing", "email": second, "role": "signer", "routing_order": 2})},
		[]J{fieldAt(0, "signature", 1, aliceSig), text, fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	firstLink, secondLink := str(created, "recipients", 0, "signing_api_url"), str(created, "recipients", 1, "signing_api_url")

	_, view := viewAs(t, firstLink)
	var values []J
	for _, f := range at(view, "fields").([]any) {
		v := J{"field_id": str(f, "id"), "text": "Farida Mansour"}
		if str(f, "type") == "text" {
			v["text"] = ssn
		}
		values = append(values, v)
	}
	status, body := postAs(t, firstLink, "/sign", J{"values": values})
	require.Equal(t, http.StatusOK, status, "%v", body)

	status, raw := bare(t, http.MethodGet, secondLink, "", "")
	require.Equal(t, http.StatusOK, status)
	for _, secret := range []string{ssn, "Farida", "Mansour", "Chen Jing", first, second, "contract.pdf", "documents", "fields", "others"} {
		require.NotContains(t, raw, secret, "the link alone shows %q", secret)
	}
	_, gate := getJSON(t, secondLink)
	require.Equal(t, false, gate["verified"])
	require.Equal(t, "Consulting agreement", str(gate, "envelope", "subject"))
	require.Equal(t, "access_code", str(gate, "recipient", "authentication"))
	for _, path := range []string{"/documents/" + str(created, "documents", 0, "id"), "/drawn/" + str(created, "fields", 0, "id")} {
		status, _ = bare(t, http.MethodGet, secondLink+path, "", "")
		require.Equal(t, http.StatusUnauthorized, status, path)
	}

	// With the code, the second signer sees the first one's values.
	status, full := viewAs(t, secondLink)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, full["verified"])
	require.Contains(t, jsonText(t, full), ssn)
}

// TestSixtyWrongCodesFromSixtyAddressesLockTheLink: guesses from as many
// addresses as an attacker likes, in parallel and over hours, are checked
// no more than the link's budget; then even the right code is refused
// until the sender resends, and the new link opens.
func TestSixtyWrongCodesFromSixtyAddressesLockTheLink(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"}
	var skew *atomic.Int64
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	id, link := oneSignerEnvelope(t, base)

	guess := func(from int, code string) int {
		req, _ := http.NewRequest(http.MethodPost, link+"/session", strings.NewReader(`{"access_code": "`+code+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", from+1))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for round := 0; ; round++ {
		require.Less(t, round, 20, "the link never locked")
		var mu sync.Mutex
		answers := map[int]int{}
		var wg sync.WaitGroup
		for from := range 60 {
			wg.Go(func() {
				status := guess(from, "wrong-guess-1")
				mu.Lock()
				answers[status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		for status := range answers {
			require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}, status, "%v", answers)
		}
		if answers[http.StatusForbidden] > 0 || guess(0, "wrong-guess-2") == http.StatusForbidden {
			break
		}
		skew.Add(int64(5 * time.Minute))
	}
	skew.Add(int64(6 * time.Hour)) // under a day, so no other test's rate counters are swept
	require.Equal(t, http.StatusForbidden, guess(7, testAccessCode), "the right code, hours later, from a fresh address")

	failed := 0
	for _, e := range auditEvents(t, base, id) {
		if str(e, "type") == models.EventAuthFailed {
			failed++
		}
	}
	require.Equal(t, verification.FailureBudget, failed, "exactly the budget was checked and audited")

	// The sender resends: the new link opens with the code.
	status, envelope := getJSON(t, base+"/v1/envelopes/"+id)
	require.Equal(t, http.StatusOK, status)
	status, resent := postJSON(t, base+"/v1/envelopes/"+id+"/recipients/"+str(envelope, "recipients", 0, "id")+"/resend", J{})
	require.Equal(t, http.StatusOK, status, "%v", resent)
	status, _ = postJSON(t, str(resent, "signing_api_url")+"/session", J{"access_code": testAccessCode})
	require.Equal(t, http.StatusOK, status)
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

// An Idempotency-Key stores nothing for a made-up signing link (no row for
// anyone to fill the table with) nor for a session, whose answer is a
// bearer token that must never be replayed from storage.
func TestIdempotencyKeepsNothingForMadeUpLinksOrSessions(t *testing.T) {
	t.Parallel()
	_, link := oneSignerEnvelope(t, suite.apiURL)
	made := suite.apiURL + "/v1/signing/" + strings.Repeat("A", 43)
	keyed := func(url, key, body string) int {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	otpKey, sessionKey := "made-up-"+newTestID(), "session-"+newTestID()
	for _, path := range []string{"/otp", "/viewed", "/sign", "/decline", "/reassign"} {
		require.Equal(t, http.StatusNotFound, keyed(made+path, otpKey+path, "{}"), path)
	}
	require.Equal(t, http.StatusOK, keyed(link+"/session", sessionKey, `{"access_code": "`+testAccessCode+`"}`))
	require.Equal(t, http.StatusOK, keyed(link+"/session", sessionKey, `{"access_code": "`+testAccessCode+`"}`), "a new session, not a replay")
	var stored int64
	require.NoError(t, rawDB().Model(&models.IdempotencyKey{}).Where("idempotency_key LIKE ? OR idempotency_key = ?", otpKey+"%", sessionKey).
		Count(&stored).Error)
	require.Zero(t, stored)
}
