package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// BenchmarkCodeToFirstPageOnAPhone measures, on a throttled phone (390x844
// at 3 device pixels per point, 150 ms latency, 1.6 Mbit/s down, 750 kbit/s
// up, the CPU slowed 4 times), how long after the signer confirms their
// code the first page of the document is on screen (first-page-ms/op),
// each time on a new envelope in a browser that has seen the page before:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test ./tests -run '^$' -bench CodeToFirstPageOnAPhone -benchtime 5x
func BenchmarkCodeToFirstPageOnAPhone(b *testing.B) {
	base := proxiedAPI(b)
	ctx := browser(b)
	_, err := chromedp.Run(ctx, chromedp.Steps(forwardedFor("198.51.100.90"), phoneProfile()))
	require.NoError(b, err)
	var total float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		status, created := postJSON(b, base+"/v1/envelopes", jsonEnvelope(b,
			[]J{person("Phone Signer", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
		require.Equal(b, http.StatusCreated, status, "%v", created)
		page := strings.Replace(str(created, "recipients", 0, "signing_url"), suite.apiURL, base, 1)
		_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(page), chromedp.WaitVisible("#access-code"),
			chromedp.SendKeys("#access-code", testAccessCode)))
		require.NoError(b, err)
		b.StartTimer()
		// The clock runs in the page, from the press to the first page drawn.
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.pressedAt = performance.now(); document.getElementById("confirm").click()`))
		require.NoError(b, err)
		elapsed, err := chromedp.Run(ctx, chromedp.Poll[float64](`(() => { const img = document.querySelector("#pages .page > img");
			return img && img.src.startsWith("blob:") && img.complete && img.naturalWidth > 0 ? performance.now() - window.pressedAt : 0; })()`))
		require.NoError(b, err)
		total += elapsed
	}
	b.ReportMetric(total/float64(b.N), "first-page-ms/op")
}

// phoneProfile is a mid-range phone on a slow mobile line.
func phoneProfile() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: 150, DownloadThroughput: 1.6e6 / 8, UploadThroughput: 750e3 / 8}}}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4})
		return chromedp.Void{}, err
	}
}
