package tests

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// rawHistory reads an envelope's history as Temporal stores it, through a
// client without the payload key, as anyone with access to the cluster or
// its database would.
func rawHistory(t *testing.T, envelopeID string) []*historypb.HistoryEvent {
	t.Helper()
	raw, err := client.Dial(client.Options{HostPort: suite.hostPort, Namespace: "default"})
	require.NoError(t, err)
	defer raw.Close()
	var events []*historypb.HistoryEvent
	it := raw.GetWorkflowHistory(context.Background(), contract.EnvelopeWorkflowID(envelopeID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	return events
}

func TestTemporalHoldsNoPersonalDataInClear(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	zofia := withCode(J{"name": "Zofia Wrzesniewska", "email": "zofia.wrzesniewska@example.com", "role": "signer", "routing_order": 1})
	li := withCode(J{"name": "李小龙", "email": "li.xiaolong@example.com", "role": "signer", "routing_order": 2})
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{zofia, li},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(0, "text", 1, carolText), fieldAt(1, "signature", 1, carolSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")
	status, body := signAs(t, str(created, "recipients", 0, "signing_api_url"), "Zofia Typed-Signature")
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = signAs(t, str(created, "recipients", 1, "signing_api_url"), "李小龙 签名")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, id).Status)

	events := rawHistory(t, id)
	var stored []byte
	for _, e := range events {
		data, err := proto.Marshal(e)
		require.NoError(t, err)
		stored = append(stored, data...)
	}
	for _, secret := range []string{"Zofia", "Wrzesniewska", "zofia.wrzesniewska@example.com", "example.com", "李小龙",
		"Typed-Signature", "签名", "PO-4411", "127.0.0.1", "Go-http-client", "Consulting agreement"} {
		require.False(t, bytes.Contains(stored, []byte(secret)), "the stored history holds %q in clear", secret)
	}
	require.True(t, bytes.Contains(stored, []byte("binary/encrypted")), "the payloads are sealed by the codec")

	// An operator allowed to see them reads them through the codec endpoint.
	var input *commonpb.Payloads
	for _, e := range events {
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			input = a.GetInput()
		}
	}
	require.NotNil(t, input)
	request, err := protojson.Marshal(input)
	require.NoError(t, err)
	decode := func(token string) (int, []byte) {
		req, err := http.NewRequest(http.MethodPost, base+"/codec/decode", bytes.NewReader(request))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp := roundTrip(t, req)
		return resp.status, resp.body
	}
	status, _ = decode("")
	require.Equal(t, http.StatusUnauthorized, status)
	integrator, err := issueToken(context.Background(), models.DefaultTenantID, models.ScopeEnvelopesRead, models.ScopeEnvelopesWrite)
	require.NoError(t, err)
	status, _ = decode(integrator)
	require.Equal(t, http.StatusForbidden, status, "an integrator's token does not open payloads")
	tenantDecoder, err := issueToken(context.Background(), unique("tenant"), models.ScopePayloadsDecode)
	require.NoError(t, err)
	status, refused := decode(tenantDecoder)
	require.Equal(t, http.StatusForbidden, status, "a tenant's client opens no payload, even with the scope: %s", refused)
	require.NotContains(t, string(refused), id)
	operator, err := issueToken(context.Background(), "", models.ScopePayloadsDecode)
	require.NoError(t, err)
	status, decoded := decode(operator)
	require.Equal(t, http.StatusOK, status, "%s", decoded)
	var opened commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(decoded, &opened))
	require.NotEmpty(t, opened.Payloads)
	require.Contains(t, string(opened.Payloads[0].Data), id, "the decoded workflow input")
	require.Equal(t, "json/plain", string(opened.Payloads[0].Metadata["encoding"]))
}

// The Web UI calls the codec from the operator's browser: its origin is
// allowed, with credentials; any other origin is not.
func TestCodecEndpointAnswersTheWebUIsPreflight(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	preflight := func(origin string) http.Header {
		req, err := http.NewRequest(http.MethodOptions, base+"/codec/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp := roundTrip(t, req)
		require.Equal(t, http.StatusNoContent, resp.status)
		return resp.header
	}
	h := preflight("http://localhost:8233")
	require.Equal(t, "http://localhost:8233", h.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, strings.ToLower(h.Get("Access-Control-Allow-Headers")), "x-namespace")
	require.Empty(t, preflight("https://evil.example").Get("Access-Control-Allow-Origin"))

	req, err := http.NewRequest(http.MethodPost, base+"/codec/decode", strings.NewReader(`{"payloads": "not a list"}`))
	require.NoError(t, err)
	operator, err := issueToken(context.Background(), "", models.ScopePayloadsDecode)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+operator)
	resp := roundTrip(t, req)
	require.Equal(t, http.StatusBadRequest, resp.status, "%s", resp.body)
}
