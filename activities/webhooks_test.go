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
		resp, err := (&Webhooks{AllowPrivate: tc.allow}).webhookClient().Do(req)
		if !tc.ok {
			require.ErrorContains(t, err, "private or local address")
			continue
		}
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
}

func TestOnlyPublicAddressesAreWebhookTargets(t *testing.T) {
	for host, public := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "100.127.255.254": false, "198.18.0.1": false, "198.19.255.255": false, "240.0.0.1": false,
		"255.255.255.255": false, "0.0.0.0": false, "::1": false, "fc00::1": false, "fe80::1": false,
		"64:ff9b::a9fe:a9fe": false, "2002:a9fe:a9fe::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"not-an-ip": false,
		// Found in review: each once passed as public.
		"::7f00:1": false, "::a9fe:a9fe": false, "fec0::1": false, "2001::1": false, "2001:0:4136:e378::1": false,
		"100::1": false, "2001:db8::1": false, "192.88.99.1": false, "192.0.2.1": false, "203.0.113.9": false,
		"fe80::1%eth0": false, "ff02::1": false, "3fff::1": false, "2001:4860:4860::8888": true, "8.8.8.8": true,
	} {
		require.Equal(t, public, publicAddress(host), host)
	}
}
