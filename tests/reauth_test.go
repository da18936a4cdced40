package tests

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// 21 CFR 11.200(a)(1)(ii): signing in a later session, not continuous with
// the first, takes both identification components again (the link and the
// access code); the signature is tied to the session it was made in, and
// the certificate says which components were used.
func TestASignatureInALaterSessionTakesBothComponentsAgain(t *testing.T) {
	t.Parallel()
	s := testSettings(taskQueue)
	var skew interface{ Store(int64) }
	s.Now, skew = skewedClock()
	base := serveAPI(t, suite.deps, s)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("reauth", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, link := str(created, "id"), str(created, "recipients", 0, "signing_api_url")
	values := J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "text": "Reauth Signer"}}}

	first := session(t, link)
	skew.Store(int64(s.SessionTTL + time.Minute)) // the signer comes back later
	status, body := sendWith(t, http.MethodPost, link+"/sign", "application/json", jsonBody(t, values), first)
	require.Equal(t, http.StatusUnauthorized, status, "the first session no longer signs: %v", body)
	status, body = postJSON(t, link+"/session", J{})
	require.Equal(t, http.StatusUnauthorized, status, "the link alone is one component, not two: %v", body)
	second := session(t, link)
	status, body = sendWith(t, http.MethodPost, link+"/sign", "application/json", jsonBody(t, values), second)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, id).Status)

	events, err := suite.store.Events(context.Background(), id)
	require.NoError(t, err)
	var sessions []string
	var signedIn any
	for _, e := range events {
		switch e.Type {
		case models.EventSessionStarted:
			sessions = append(sessions, e.Details["session_id"].(string))
		case models.EventRecipientSigned:
			signedIn = e.Details["session_id"]
		}
	}
	require.Len(t, sessions, 2, "each session is audited")
	require.Equal(t, sessions[1], signedIn, "the signature names the later session")

	status, cert := download(t, base+"/v1/envelopes/"+id+"/certificate")
	require.Equal(t, http.StatusOK, status)
	path := filepath.Join(t.TempDir(), "certificate.pdf")
	require.NoError(t, os.WriteFile(path, cert, 0o600))
	text := pdfText(t, path, 1)
	require.Contains(t, text, "an access code given by the sender")
	require.Contains(t, text, sessions[1][:8], "the certificate names the session the signature was made in")
}
