package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWebhooksReachNoPrivateAddressUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	for _, tc := range []struct {
		allow bool
		ok    bool
	}{{false, false}, {true, true}} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
		require.NoError(t, err)
		resp, err := (&Activities{AllowPrivateWebhooks: tc.allow}).webhookClient().Do(req)
		if !tc.ok {
			require.ErrorContains(t, err, "private or local address")
			continue
		}
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
}
