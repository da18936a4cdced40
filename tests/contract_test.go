package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// contract holds every exchange of the suite with a Signflow API to the
// OpenAPI document (api/openapi.yaml): installed as http.DefaultClient's
// transport,
// it validates each request sent to a registered API and each response,
// and the run fails when any broke it. A request the contract refuses must
// be refused by the server too (4xx); a request it accepts must get a
// response it describes. The Go client goes through it like every test.
var openapiCheck *contractCheck

type contractCheck struct {
	base      http.RoundTripper
	validator validator.Validator
	model     *v3.Document
	mu        sync.Mutex
	hosts     map[string]bool
	failures  []string
	checked   int // exchanges validated, webhooks included
	// webhookMu serializes webhook checks: libopenapi renders a schema for
	// validation in place, which is not safe from two goroutines at once.
	webhookMu sync.Mutex
}

// maxCheckedBody is the largest request body the check reads; a larger or
// streamed one (the hostile tests send those) is checked by its answer alone.
const maxCheckedBody = 16 << 20

func newContractCheck(base http.RoundTripper) (*contractCheck, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("read api/openapi.yaml: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the OpenAPI model: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithStandardBodyDecoders(), config.WithURLEncodedBodyValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build the OpenAPI validator: %w", errors.Join(errs...))
	}
	return &contractCheck{base: base, validator: v, model: &model.Model, hosts: map[string]bool{}}, nil
}

// watch validates the exchanges with the API at baseURL, until unwatch:
// once an API is gone its port may be handed to another server (a test's
// own Mailpit), which the contract does not describe.
func (c *contractCheck) watch(baseURL string) { c.setWatching(baseURL, true) }

func (c *contractCheck) unwatch(baseURL string) { c.setWatching(baseURL, false) }

func (c *contractCheck) setWatching(baseURL string, on bool) {
	u, err := url.Parse(baseURL)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		c.hosts[u.Host] = true
	} else {
		delete(c.hosts, u.Host)
	}
}

func (c *contractCheck) watching(host string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hosts[host]
}

func (c *contractCheck) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
}

// report lists every exchange that broke the contract, and how many were
// checked.
func (c *contractCheck) report() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.failures), c.checked
}

func (c *contractCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if !c.watching(req.URL.Host) {
		return c.base.RoundTrip(req)
	}
	checked := req.Clone(req.Context())
	checkBody := req.Body == nil || req.Body == http.NoBody || (req.ContentLength >= 0 && req.ContentLength <= maxCheckedBody)
	if checkBody && req.Body != nil && req.Body != http.NoBody {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(data))
		checked.Body = io.NopCloser(bytes.NewReader(data))
	}
	var requestErrs []*liberrors.ValidationError
	requestOK := true
	if checkBody {
		requestOK, requestErrs = c.validator.ValidateHttpRequestSync(checked)
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	what := req.Method + " " + redactToken(req.URL.Path)
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	if !requestOK {
		// The contract refuses the request: the server must refuse it as well.
		if resp.StatusCode < 400 || resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			c.fail("%s: the contract refuses the request (%s) but the server answered %d", what, describe(requestErrs), resp.StatusCode)
		}
		return resp, nil
	}
	answer := *resp
	answer.Body = io.NopCloser(bytes.NewReader(data))
	checked.Body = http.NoBody
	if ok, errs := c.validator.ValidateHttpResponse(checked, &answer); !ok {
		c.fail("%s answered %d outside the contract: %s", what, resp.StatusCode, describe(errs))
	}
	return resp, nil
}

// checkWebhook validates a delivered webhook body against the contract's
// webhooks section.
func (c *contractCheck) checkWebhook(body []byte) {
	c.webhookMu.Lock()
	defer c.webhookMu.Unlock()
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	schema := c.schema("WebhookEvent")
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(schema, body); !ok {
		c.fail("a webhook body breaks the contract: %s: %s", describe(errs), body)
	}
}

func (c *contractCheck) schema(name string) *base.Schema {
	proxy, ok := c.model.Components.Schemas.Get(name)
	if !ok {
		panic("the contract has no schema " + name)
	}
	return proxy.Schema()
}

var tokenSegment = regexp.MustCompile(`^(/v1/signing/|/v1/copies/|/sign/)[^/]+`)

func redactToken(path string) string { return tokenSegment.ReplaceAllString(path, "${1}{token}") }

func describe(errs []*liberrors.ValidationError) string {
	var parts []string
	for _, e := range errs {
		s := e.Message
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			s += " [" + f.Error() + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	ok, errs := openapiCheck.validator.ValidateDocument()
	require.True(t, ok, "api/openapi.yaml is not valid OpenAPI 3.1: %s", describe(errs))
	require.Equal(t, "3.1.0", openapiCheck.model.Version)
}

// TestOpenAPIDescribesEveryRoute fails when a route is registered without
// being in the contract, or the contract names a route that is gone.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	engine := (&api.Server{Codec: http.NotFoundHandler()}).Handler().(*gin.Engine)
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+ginToOpenAPI(r.Path)] = true
	}
	described := map[string]bool{}
	for path, item := range openapiCheck.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	require.Empty(t, missing(served, described), "routes the contract does not describe")
	require.Empty(t, missing(described, served), "routes the contract describes that are not served")
}

// TestOpenAPINamesWhatTheCodeDefines holds the contract's lists to the
// names the code defines once: event types, scopes, field types.
func TestOpenAPINamesWhatTheCodeDefines(t *testing.T) {
	t.Parallel()
	require.ElementsMatch(t, models.FeedTypes, enum(openapiCheck.schema("EventType")))
	require.ElementsMatch(t, models.Scopes, enum(openapiCheck.schema("Scope")))
	require.ElementsMatch(t, signing.FieldTypes, enum(openapiCheck.schema("FieldType")))
	require.ElementsMatch(t, models.EnvelopeStatuses, enum(openapiCheck.schema("EnvelopeStatus")))
	flows := openapiCheck.model.Components.SecuritySchemes.GetOrZero("oauth2").Flows.ClientCredentials
	var scopes []string
	for name := range flows.Scopes.KeysFromOldest() {
		scopes = append(scopes, name)
	}
	require.ElementsMatch(t, models.Scopes, scopes)
}

func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	status, doc := getJSON(t, suite.apiURL+"/openapi.json")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "3.1.0", doc["openapi"])
	require.Contains(t, doc["paths"], "/v1/envelopes/{id}")
	require.Contains(t, doc["webhooks"], "envelopeEvent")
	status, yaml := download(t, suite.apiURL+"/openapi.yaml")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, api.OpenAPI, yaml)
}

// TestContractCatchesDrift proves the check is not vacuous: a response
// with a field the contract does not describe, and a request it refuses
// that a server accepts, are both reported.
func TestContractCatchesDrift(t *testing.T) {
	t.Parallel()
	check, err := newContractCheck(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body := `{"status":"ok","uptime":3}`
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}))
	require.NoError(t, err)
	check.watch("http://drift.test")
	for _, target := range []string{"http://drift.test/healthz", "http://drift.test/v1/envelopes?limit=1000"} {
		req, err := http.NewRequest(http.MethodGet, target, nil)
		require.NoError(t, err)
		resp, err := check.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	failures, _ := check.report()
	require.Len(t, failures, 2, "%v", failures)
	require.Contains(t, failures[0], "GET /healthz answered 200 outside the contract")
	require.Contains(t, failures[1], "the contract refuses the request")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

var ginParam = regexp.MustCompile(`:([A-Za-z]+)`)

func ginToOpenAPI(path string) string { return ginParam.ReplaceAllString(path, "{$1}") }

func missing(from, in map[string]bool) []string {
	var out []string
	for k := range from {
		if !in[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func enum(s *base.Schema) []string {
	var out []string
	for _, n := range s.Enum {
		out = append(out, n.Value)
	}
	return out
}
