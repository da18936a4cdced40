package tests

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/models"
)

// BenchmarkEnvelopeLifecycle measures one three-recipient envelope from
// creation through three signatures to its sealed final PDF and emails, on
// the real Temporal dev server and database, with 16 clients at once:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test ./tests -run '^$' -bench EnvelopeLifecycle -benchtime 40x -benchmem
func BenchmarkEnvelopeLifecycle(b *testing.B) {
	spec := threeSignerSpec(b)
	base := floorAPI(b)
	var made atomic.Int64
	parallel(b, 16, func() { runEnvelope(b, base, int(made.Add(1)), spec) })
}

// BenchmarkWebhookLag measures how long after a state change its webhook
// reaches a healthy receiver: from the answer to a void to the arrival of
// envelope.voided (reported as lag-ms/op), one envelope at a time.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test ./tests -run '^$' -bench WebhookLag -benchtime 20x
func BenchmarkWebhookLag(b *testing.B) {
	token, err := issueToken(context.Background(), "bench-"+newTestID(), models.Scopes...)
	require.NoError(b, err)
	auth := map[string]string{"Authorization": "Bearer " + token}
	arrived := make(chan string, 64)
	var secret string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e, err := client.VerifyWebhook(secret, r.Header, body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if e.Type == "envelope.voided" {
			arrived <- e.Data.EnvelopeID
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	status, hook := sendWith(b, http.MethodPost, suite.apiURL+"/v1/webhooks", "application/json", jsonBody(b, J{"url": receiver.URL}), auth)
	require.Equal(b, http.StatusCreated, status, "%v", hook)
	secret = str(hook, "secret")
	spec := jsonEnvelope(b, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})

	var lag time.Duration
	b.ResetTimer()
	for range b.N {
		status, created := sendWith(b, http.MethodPost, suite.apiURL+"/v1/envelopes", "application/json", jsonBody(b, spec), auth)
		require.Equal(b, http.StatusCreated, status, "%v", created)
		id := str(created, "id")
		status, body := sendWith(b, http.MethodPost, suite.apiURL+"/v1/envelopes/"+id+"/void", "application/json", jsonBody(b, J{"reason": "bench"}), auth)
		require.Equal(b, http.StatusOK, status, "%v", body)
		voided := time.Now()
		for got := range arrived {
			if got == id {
				break
			}
		}
		lag += time.Since(voided)
	}
	b.ReportMetric(float64(lag.Milliseconds())/float64(b.N), "lag-ms/op")
}

// BenchmarkCreate measures envelope creation over HTTP with 111 KB of PDF
// (the test contract, a Google Docs export and a PDFKit file: three
// documents), one signer and a field on each, from 16 clients at once; the
// reported creates/s includes intake, storage, the database and starting
// the workflow, and the worker inviting the signer runs beside it.
//
//	go test ./tests -run '^$' -bench Create -benchtime 300x -count 5
func BenchmarkCreate(b *testing.B) {
	var docs []J
	var fields []J
	for i, name := range []string{"google-doc-document.pdf", "pdfkit.pdf"} {
		data, err := os.ReadFile(filepath.Join(suite.root, "tests", "testdata", "samples", name))
		require.NoError(b, err)
		docs = append(docs, J{"name": name, "content_base64": base64.StdEncoding.EncodeToString(data)})
		fields = append(fields, J{"recipient": 0, "document": i + 1, "type": "signature", "page": 1, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.05})
	}
	spec := jsonEnvelope(b, []J{signer("creator", 1)}, append(fields, fieldAt(0, "signature", 1, aliceSig)))
	spec["documents"] = append(spec["documents"].([]J), docs...)
	base := floorAPI(b)
	b.ResetTimer()
	start := time.Now()
	parallel(b, 16, func() {
		if status, e := postJSON(b, base+"/v1/envelopes", spec); status != http.StatusCreated {
			b.Errorf("create: %d %v", status, e)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
}
