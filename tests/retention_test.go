package tests

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// runRetention runs the retention workflow once, now.
func runRetention(t *testing.T, in contract.RetentionInput) contract.RetentionReport {
	return scheduled[contract.RetentionReport](t, contract.RetentionWorkflowType, in)
}

func TestRetentionDeletesDocumentsOnScheduleKeepsTheTrailAndHonoursLegalHolds(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	completed, completedLink := api.envelope()
	held, heldLink := api.envelope()
	voided, _ := api.envelope()
	for _, link := range []string{completedLink, heldLink} {
		status, body := signAs(t, link, "Alice")
		require.Equal(t, http.StatusOK, status, "%v", body)
	}
	status, body := api.call(http.MethodPost, "/v1/envelopes/"+voided+"/void", J{"reason": "replaced"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	for _, id := range []string{completed, held, voided} {
		awaitWorkflow(t, id)
	}
	_, env := api.call(http.MethodGet, "/v1/envelopes/"+completed, nil)
	doc := str(env, "documents", 0, "id")
	req, err := http.NewRequest(http.MethodGet, str(env, "documents", 0, "final_url"), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", api.auth["Authorization"])
	resp := roundTrip(t, req)
	require.Equal(t, http.StatusOK, resp.status)
	final := resp.body

	// Bad policies are refused by field.
	status, body = api.call(http.MethodPut, "/v1/retention-policy", J{"completed_documents_days": -1, "other_documents_days": 30})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "completed_documents_days", str(body, "errors", 0, "field"))
	status, body = api.call(http.MethodPut, "/v1/retention-policy", J{"completed_documents_days": 90})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "other_documents_days", str(body, "errors", 0, "field"))
	status, body = api.call(http.MethodPut, "/v1/retention-policy", J{"completed_documents_days": 90, "other_documents_days": 30})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 90, at(body, "completed_documents_days"))

	status, body = api.call(http.MethodPost, "/v1/envelopes/"+held+"/legal-hold", J{"reason": ""})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "reason", str(body, "errors", 0, "field"))
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+held+"/legal-hold", J{"reason": "litigation 2026-114"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, true, at(body, "legal_hold"))

	// They ended longer ago than the policy keeps them.
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("id IN ?", []string{completed, held, voided}).
		UpdateColumn("ended_at", time.Now().UTC().Add(-100*24*time.Hour)).Error)
	status, body = api.call(http.MethodGet, "/v1/retention/preview", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	var previewed []string
	for _, d := range at(body, "due").([]any) {
		previewed = append(previewed, str(d, "envelope_id"))
	}
	require.ElementsMatch(t, []string{completed, voided}, previewed, "the held envelope is not listed")

	dry := runRetention(t, contract.RetentionInput{Limit: 500, DryRun: true})
	require.True(t, dry.DryRun)
	require.Subset(t, dry.Due, []string{completed, voided})
	require.Empty(t, dry.Deleted)
	_, err = suite.deps.Blobs.Get(context.Background(), blob.FinalKey(completed, doc))
	require.NoError(t, err, "a dry run deletes nothing")

	report := runRetention(t, contract.RetentionInput{Limit: 500})
	require.Subset(t, report.Deleted, []string{completed, voided})
	require.NotContains(t, report.Deleted, held)
	for _, key := range []string{blob.FinalKey(completed, doc), blob.OriginalKey(completed, doc)} {
		_, err = suite.deps.Blobs.Get(context.Background(), key)
		require.ErrorIs(t, err, blob.ErrNotFound, key)
	}
	status, body = api.call(http.MethodGet, "/v1/envelopes/"+completed+"/documents/"+doc+"/final", nil)
	require.Equal(t, http.StatusGone, status, "%v", body)
	require.Equal(t, "urn:signflow:problem:documents-deleted", str(body, "type"))
	_, env = api.call(http.MethodGet, "/v1/envelopes/"+completed, nil)
	require.NotEmpty(t, str(env, "documents_deleted_at"))
	req, err = http.NewRequest(http.MethodGet, suite.apiURL+"/v1/envelopes/"+completed+"/certificate", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", api.auth["Authorization"])
	require.Equal(t, http.StatusOK, roundTrip(t, req).status, "the certificate outlives the documents")

	// The trail states the deletion and still verifies; the final PDF an
	// integrator kept is still recognised by its hash.
	status, verdict := api.call(http.MethodGet, "/v1/envelopes/"+completed+"/audit/verify", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, at(verdict, "valid"), "%v", verdict)
	types := eventTypesOf(t, completed)
	require.Equal(t, models.EventDocumentsDeleted+" ", types[len(types)-1])
	status, v := sendWith(t, http.MethodPost, suite.apiURL+"/v1/verify", "application/pdf", bytes.NewReader(final), api.auth)
	require.Equal(t, http.StatusOK, status, "%v", v)
	require.Equal(t, "authentic", str(v, "verdict"), "%v", v)

	// A second run has nothing more of these; releasing the hold lets the
	// held one go next.
	again := runRetention(t, contract.RetentionInput{Limit: 500})
	require.False(t, slices.Contains(again.Deleted, completed))
	status, _ = sendWith(t, http.MethodDelete, suite.apiURL+"/v1/envelopes/"+held+"/legal-hold", "", nil, api.auth)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, runRetention(t, contract.RetentionInput{Limit: 500}).Deleted, held)
	heldTypes := eventTypesOf(t, held)
	require.Subset(t, heldTypes, []string{models.EventLegalHoldPlaced + " ", models.EventLegalHoldReleased + " ", models.EventDocumentsDeleted + " "})
}

// The workers put the retention schedule in place; operators see it and
// its runs in the Web UI.
func TestRetentionRunsOnATemporalSchedule(t *testing.T) {
	t.Parallel()
	// The suite's worker made it at start; a worker of another queue and
	// interval finds it in place and leaves it.
	s := testSettings("retention-" + newTestID())
	s.RetentionInterval = time.Hour
	require.NoError(t, wiring.New(suite.deps, s).EnsureRetentionSchedule(context.Background()))
	desc, err := suite.temporal.ScheduleClient().GetHandle(context.Background(), contract.RetentionScheduleID).Describe(context.Background())
	require.NoError(t, err)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, contract.RetentionWorkflowType, action.Workflow)
	require.Equal(t, taskQueue, action.TaskQueue)
	require.Equal(t, 24*time.Hour, desc.Schedule.Spec.Intervals[0].Every)
}
