package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// signFrom signs as the recipient behind signingURL, claiming to be
// forwarded for forwardedFor.
func signFrom(t *testing.T, signingURL, forwardedFor string) {
	t.Helper()
	_, view := viewAs(t, signingURL)
	body, _ := json.Marshal(J{"values": []J{{"field_id": str(view, "fields", 0, "id"), "text": "Ann Example"}}})
	req, err := http.NewRequest(http.MethodPost, signingURL+"/sign", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "signflow-integration-test/1.0")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	for k, v := range session(t, signingURL) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func oneSignerEnvelope(t *testing.T, base string) (id, signingURL string) {
	t.Helper()
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("ann", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	return str(created, "id"), str(created, "recipients", 0, "signing_api_url")
}

func auditEvents(t *testing.T, base, id string) []any {
	t.Helper()
	status, trail := getJSON(t, base+"/v1/envelopes/"+id+"/audit")
	require.Equal(t, http.StatusOK, status)
	return trail["events"].([]any)
}

func eventOf(events []any, eventType string) J {
	for _, e := range events {
		if str(e, "type") == eventType {
			return e.(J)
		}
	}
	return nil
}

func TestAuditTrailRecordsWhoWhenAndWhere(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	id, link := oneSignerEnvelope(t, base)
	// The signer acts on the invitation, as a person would.
	require.Eventually(t, func() bool {
		_, env := getJSON(t, base+"/v1/envelopes/"+id)
		return str(env, "recipients", 0, "status") == "notified"
	}, 30*time.Second, 20*time.Millisecond)
	status, view := viewAs(t, link) // link opened
	require.Equal(t, http.StatusOK, status)
	status, _ = downloadAs(t, link, str(view, "documents", 0, "url"))
	require.Equal(t, http.StatusOK, status)
	signFrom(t, link, "203.0.113.9") // a forged header from an untrusted client
	awaitWorkflow(t, id)

	events := auditEvents(t, base, id)
	types := []string{}
	for i, e := range events {
		require.EqualValues(t, i+1, at(e, "seq"))
		require.Len(t, str(e, "hash"), 64)
		require.NotEqual(t, "203.0.113.9", e.(J)["ip"], "X-Forwarded-For from an untrusted client is ignored")
		types = append(types, str(e, "type"))
	}
	for _, want := range []string{"envelope.created", "recipient.notified", "notification.queued", "link.opened",
		"document.downloaded", "recipient.signed", "document.finalized", "envelope.completed"} {
		require.Contains(t, types, want)
	}
	created := eventOf(events, "envelope.created")
	require.Equal(t, "api", str(created, "actor_type"))
	require.Equal(t, id, str(created, "prev_hash"), "the chain starts at the envelope ID")
	require.Len(t, created["document_sha256"], 1)
	signed := eventOf(events, "recipient.signed")
	require.Equal(t, "recipient", str(signed, "actor_type"))
	require.Equal(t, "ann@example.com", str(signed, "actor"))
	require.Equal(t, "127.0.0.1", str(signed, "ip"))
	require.Equal(t, "signflow-integration-test/1.0", str(signed, "user_agent"))
	require.NotEmpty(t, str(signed, "occurred_at"))
	require.Equal(t, []any{"access_code"}, at(signed, "details", "auth_methods"), "the signature names how the signer was verified")
	require.NotEmpty(t, str(signed, "details", "session_id"))

	status, verdict := getJSON(t, base+"/v1/envelopes/"+id+"/audit/verify")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, verdict["valid"], "%v", verdict)
}

func TestForwardedForCountsOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	s.TrustedProxies = []string{"127.0.0.1/32"}
	base := serveAPI(t, suite.deps, s)

	id, link := oneSignerEnvelope(t, base)
	signFrom(t, link, "203.0.113.9")
	signed := eventOf(auditEvents(t, base, id), "recipient.signed")
	require.Equal(t, "203.0.113.9", str(signed, "ip"), "behind a trusted proxy the forwarded address is the signer's")
}

func TestTamperingWithTheDatabaseIsNamed(t *testing.T) {
	t.Parallel()
	base := newAPI(t, taskQueue)
	id, link := oneSignerEnvelope(t, base)
	signFrom(t, link, "")
	awaitWorkflow(t, id)

	err := rawDB().Exec("UPDATE events SET ip = '10.0.0.1' WHERE envelope_id = ? AND seq = 2", id).Error
	require.ErrorContains(t, err, "append-only", "the trigger refuses changes")
	err = rawDB().Exec("DELETE FROM events WHERE envelope_id = ?", id).Error
	require.ErrorContains(t, err, "append-only")

	// With the trigger out of the way, a changed event is still found.
	switch rawDB().Dialector.Name() {
	case "postgres":
		require.NoError(t, rawDB().Exec("ALTER TABLE events DISABLE TRIGGER events_append_only").Error)
		defer rawDB().Exec("ALTER TABLE events ENABLE TRIGGER events_append_only")
	default:
		require.NoError(t, rawDB().Exec("DROP TRIGGER events_no_update").Error)
	}
	require.NoError(t, rawDB().Exec(`UPDATE events SET details = '{"forged":true}' WHERE envelope_id = ? AND seq = 2`, id).Error)

	status, verdict := getJSON(t, base+"/v1/envelopes/"+id+"/audit/verify")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, verdict["valid"])
	require.EqualValues(t, 2, at(verdict, "first_invalid", "seq"))
	require.Contains(t, str(verdict, "explanation"), "altered at or before event 2")
}
