package tests

import (
	"net/http"
	"testing"
)

// BenchmarkEnvelopeLifecycle measures one three-recipient envelope from
// creation through three signatures to its sealed final PDF and emails, on
// the real Temporal dev server and database, with 8 clients per core
// driving envelopes at once:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test ./tests -run '^$' -bench EnvelopeLifecycle -benchtime 40x
func BenchmarkEnvelopeLifecycle(b *testing.B) {
	spec := jsonEnvelope(b, []J{signer("alice", 1), signer("bob", 1), signer("carol", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig), fieldAt(2, "signature", 1, carolSig)})
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			status, created := postJSON(b, suite.apiURL+"/v1/envelopes", spec)
			if status != http.StatusCreated {
				b.Errorf("create: %d %v", status, created)
				return
			}
			for i := range 3 {
				if status, body := signAs(b, str(created, "recipients", i, "signing_api_url"), "Signer"); status != http.StatusOK {
					b.Errorf("sign: %d %v", status, body)
					return
				}
			}
			if st := awaitWorkflow(b, str(created, "id")); st.Status != "completed" {
				b.Errorf("envelope ended %s", st.Status)
			}
		}
	})
}
