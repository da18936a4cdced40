package tests

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/bombs"
	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/models"
)

// Decoder bombs go to an API process of its own, whose resident memory is
// read from /proc as an operator's monitoring would: each is refused with
// a 4xx in under a second, and the process grows by less than 64 MB (less
// than 16 MB for a 96 MiB body). Before, a 30000x30000 PNG signature took
// 860 MiB, and eight at once took the API from 175 MB to 7 GB.

// lonelyAPI runs `signflow api` on the suite's database and Temporal, on a
// task queue no worker polls: what it refuses, it refuses before any
// workflow sees it.
func lonelyAPI(t *testing.T) (base string, p *process) {
	t.Helper()
	addr := freePort()
	base = "http://" + addr
	env := []string{"DATABASE_URL=" + suite.databaseURL, "TEMPORAL_ADDRESS=" + suite.hostPort, "SIGNFLOW_TASK_QUEUE=bombs-" + newTestID(),
		"SIGNFLOW_DATA_DIR=" + t.TempDir(), "SIGNFLOW_HTTP_ADDR=" + addr, "SIGNFLOW_PUBLIC_URL=" + base,
		"SIGNFLOW_SMTP_ADDR=" + suite.smtpAddr, "SIGNFLOW_SMTP_TLS=none", "SIGNFLOW_RATE_LIMIT=1000", "SIGNFLOW_RATE_BURST=1000",
		"SIGNFLOW_ADMISSION_MAX_BACKLOG=0s"}
	p = &process{t: t, name: "bombs-api", ready: "api listening", args: []string{suite.binary, "api"}, env: env}
	p.start()
	t.Cleanup(p.kill)
	require.NoError(t, awaitListening(addr))
	return base, p
}

// memory reads a process's resident set and its peak since the last reset.
func memory(t *testing.T, pid int) (rss, peak int64) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// resetPeak starts a new peak measurement (Linux's clear_refs 5).
func resetPeak(t *testing.T, pid int) int64 {
	t.Helper()
	require.NoError(t, os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0))
	rss, _ := memory(t, pid)
	return rss
}

// timed sends a request and answers its status and how long it took.
func timed(t *testing.T, req *http.Request) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

func TestDecoderBombsAreRefusedFastAndCheaply(t *testing.T) {
	base, proc := lonelyAPI(t)
	pid := proc.cmd.Process.Pid
	ctx := context.Background()
	tenant := "bombs-" + newTestID()
	c, secret := accesstoken.NewClient(tenant, "bombs", models.Scopes, time.Now())
	require.NoError(t, suite.store.CreateClient(ctx, c))
	status, grant := sendWith(t, http.MethodPost, base+"/oauth/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=client_credentials&client_id="+c.ID+"&client_secret="+secret), nil)
	require.Equal(t, http.StatusOK, status, "%v", grant)
	auth := map[string]string{"Authorization": "Bearer " + str(grant, "access_token")}

	attachment := fieldAt(0, "attachment", 1, attachmentBox)
	status, created := sendWith(t, http.MethodPost, base+"/v1/envelopes", "application/json",
		jsonBody(t, jsonEnvelope(t, []J{signer("bombs", 1)}, []J{fieldAt(0, "signature", 1, aliceSig), attachment})), auth)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	link := str(created, "recipients", 0, "signing_api_url")
	sig, att := str(created, "fields", 0, "id"), str(created, "fields", 1, "id")
	bearer := session(t, link)

	sign := func(value J) *http.Request {
		req, err := http.NewRequest(http.MethodPost, link+"/sign", jsonBody(t, J{"values": []J{value}}))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", bearer["Authorization"])
		return req
	}
	// Warm the process up with one of each refusal, then measure.
	status, _ = timed(t, sign(J{"field_id": sig, "image_png_base64": signaturePNG(t)}))
	require.NotEqual(t, http.StatusInternalServerError, status)
	baseline := resetPeak(t, pid)

	// Eight drawn signatures at once, each declaring 30000x30000 pixels.
	bomb := base64.StdEncoding.EncodeToString(bombs.PNG(30_000, 30_000, 8, 6))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			status, took := timed(t, sign(J{"field_id": sig, "image_png_base64": bomb}))
			require.Equal(t, http.StatusUnprocessableEntity, status)
			require.Less(t, took, time.Second)
		})
	}
	wg.Wait()

	// Attachments: a 16-bit PNG, a JPEG and a PDF, each far larger decoded.
	for name, data := range map[string][]byte{"scan.png": bombs.PNG(10_000, 10_000, 16, 6), "photo.jpg": bombs.JPEG(60_000, 60_000),
		"bomb.pdf": bombs.PDF(64 << 20)} {
		status, took := timed(t, sign(J{"field_id": att, "attachment": J{"name": name, "content_base64": base64.StdEncoding.EncodeToString(data)}}))
		require.Equal(t, http.StatusUnprocessableEntity, status, name)
		require.Less(t, took, time.Second, name)
	}

	// The same PDF as an envelope's document, and a CSV of a million columns.
	req, err := http.NewRequest(http.MethodPost, base+"/v1/envelopes", jsonBody(t, J{"subject": "Bomb",
		"documents":  []J{{"name": "bomb.pdf", "content_base64": base64.StdEncoding.EncodeToString(bombs.PDF(64 << 20))}},
		"recipients": []J{signer("bomb", 1)}, "fields": []J{fieldAt(0, "signature", 1, aliceSig)}}))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth["Authorization"])
	status, took := timed(t, req)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Less(t, took, time.Second)
	req, err = http.NewRequest(http.MethodPost, base+"/v1/bulk-sends?template_id=none", strings.NewReader(strings.Repeat("a.name,", 1_000_000)+"\n"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", auth["Authorization"])
	status, took = timed(t, req)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Less(t, took, time.Second)

	_, peak := memory(t, pid)
	t.Logf("bombs: resident %d MB before, peak %d MB", baseline>>20, peak>>20)
	require.Less(t, peak-baseline, int64(64<<20), "the API grew %d MB", (peak-baseline)>>20)

	// 96 MiB with an Idempotency-Key, declared and chunked.
	for _, declared := range []bool{true, false} {
		baseline = resetPeak(t, pid)
		req, err := http.NewRequest(http.MethodPost, base+"/v1/bulk-sends", io.LimitReader(zeros{}, 96<<20))
		require.NoError(t, err)
		if declared {
			req.ContentLength = 96 << 20
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "huge-"+strconv.FormatBool(declared))
		req.Header.Set("Authorization", auth["Authorization"])
		status, _ := timed(t, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, status)
		_, peak := memory(t, pid)
		t.Logf("96 MiB body (Content-Length given: %v): resident %d MB before, peak %d MB", declared, baseline>>20, peak>>20)
		require.Less(t, peak-baseline, int64(16<<20), "the API grew %d MB for one body", (peak-baseline)>>20)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
