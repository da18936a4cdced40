package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	apiclient "github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// strayEnvelope stores an envelope of tenant as a crashed API would have
// left it, created an hour ago with no workflow ever started.
func strayEnvelope(t *testing.T, tenant string) string {
	t.Helper()
	one, zero := 1, 0
	x, y, w, h := 0.1, 0.7, 0.3, 0.05
	req := signing.EnvelopeRequest{Subject: "Stray", Recipients: []signing.RecipientRequest{{Name: "Sam", Email: unique("stray"), Role: models.RoleSigner,
		Authentication: models.AuthAccessCode, AccessCode: testAccessCode, RoutingOrder: &one}},
		Fields: []signing.FieldRequest{{Recipient: &zero, Type: models.FieldSignature, Page: 1, X: &x, Y: &y, Width: &w, Height: &h}}}
	prepared, errs := signing.Prepare(req, []signing.Upload{{Name: "contract.pdf", Data: contractPDF(t)}}, signing.Rules{Limits: pdf.DefaultLimits})
	require.Empty(t, errs)
	created := time.Now().Add(-time.Hour)
	env, err := prepared.Build(suite.deps.Links, tenant, models.NewID(), created)
	require.NoError(t, err)
	ev := models.Event{Key: "request:" + models.NewID(), Type: models.EventEnvelopeCreated, ActorType: models.ActorAPI, Actor: "test", OccurredAt: created}
	require.NoError(t, suite.store.CreateEnvelope(context.Background(), env, ev))
	return env.ID
}

// scheduled runs a workflow of a schedule once, now, as the schedule
// would, and returns its report.
func scheduled[R any](t *testing.T, workflowType string, input any) R {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := suite.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowType + "-" + models.NewID(), TaskQueue: taskQueue},
		workflowType, input)
	require.NoError(t, err)
	var report R
	require.NoError(t, run.Get(ctx, &report))
	return report
}

// reconcile runs one reconciliation now.
func reconcile(t *testing.T) contract.ReconcileReport {
	return scheduled[contract.ReconcileReport](t, contract.ReconcileWorkflowType, contract.ReconcileInput{StaleAfter: 30 * time.Minute})
}

func TestEveryEnvelopeCanBeEndedAndStraysAreReconciled(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	tenant := api.tenant

	var rcv *receiver
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rcv.ServeHTTP(w, r) }))
	defer hookSrv.Close()
	status, hook := api.call(http.MethodPost, "/v1/webhooks", J{"url": hookSrv.URL, "event_types": []string{"envelope.created", "envelope.voided"}})
	require.Equal(t, http.StatusCreated, status, "%v", hook)
	rcv = newReceiver(str(hook, "secret"), func(*apiclient.WebhookEvent) int { return http.StatusNoContent })

	// A sender voids an envelope whose workflow never started.
	orphan := strayEnvelope(t, tenant)
	status, body := api.call(http.MethodPost, "/v1/envelopes/"+orphan+"/void", J{"reason": "never sent"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "voided", str(body, "status"))

	// An envelope whose workflow was terminated by hand is flagged, and can
	// still be voided.
	terminated, _ := api.envelope()
	require.NoError(t, suite.temporal.TerminateWorkflow(context.Background(), contract.EnvelopeWorkflowID(terminated), "", "operator error"))
	// A stray nobody voids is voided by the reconciliation.
	stray := strayEnvelope(t, tenant)

	report := reconcile(t)
	require.Contains(t, report.Voided, stray)
	require.NotContains(t, report.Voided, orphan, "already voided")
	require.Contains(t, report.Flagged, terminated)
	status, env := api.call(http.MethodGet, "/v1/envelopes/"+stray, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "voided", str(env, "status"))
	status, env = api.call(http.MethodGet, "/v1/envelopes/"+terminated, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "in_progress", str(env, "status"), "flagged, not repaired: an operator decides")
	flagged := 0
	for _, e := range requireGaplessEvents(t, terminated) {
		if e.Type == models.EventEnvelopeFlagged {
			flagged++
			require.Equal(t, "terminated", e.Details["workflow"])
		}
	}
	require.Equal(t, 1, flagged)
	reconcile(t) // finds it again
	flagged = 0
	for _, e := range requireGaplessEvents(t, terminated) {
		if e.Type == models.EventEnvelopeFlagged {
			flagged++
		}
	}
	require.Equal(t, 1, flagged, "flagged once however often it is found")
	status, body = api.call(http.MethodPost, "/v1/envelopes/"+terminated+"/void", J{"reason": "cleaning up"})
	require.Equal(t, http.StatusOK, status, "%v", body)

	// Every change reached the webhook, in order: the strays' creation
	// deliveries had no deliverer until the void or the reconciliation.
	arrived := func() map[string][]int64 {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return map[string][]int64{"orphan": rcv.accepted[orphan], "stray": rcv.accepted[stray], "terminated": rcv.accepted[terminated]}
	}
	all := func() bool {
		a := arrived()
		return len(a["orphan"]) == 2 && len(a["stray"]) == 2 && len(a["terminated"]) == 2
	}
	for deadline := time.Now().Add(3 * time.Minute); !all() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if !all() {
		var rows []models.WebhookDelivery
		require.NoError(t, rawDB().Where("envelope_id IN ?", []string{orphan, stray, terminated}).Order("envelope_id, seq").Find(&rows).Error)
		desc, err := suite.temporal.DescribeWorkflowExecution(context.Background(), contract.WebhookDelivererID(str(hook, "id"), orphan), "")
		t.Fatalf("created and voided reach the webhook of each; arrived: %v; deliveries: %+v; the orphan's deliverer: %v (%v)",
			arrived(), rows, desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, id := range []string{orphan, stray, terminated} {
		seqs := rcv.accepted[id]
		require.Equal(t, int64(1), seqs[0], "envelope %s: created first", id)
		require.Greater(t, seqs[1], seqs[0], "envelope %s: then voided", id)
	}
}

func TestTheReconciliationRunsOnASchedule(t *testing.T) {
	t.Parallel()
	sys := wiring.New(suite.deps, testSettings(taskQueue))
	require.NoError(t, sys.EnsureReconcileSchedule(context.Background()))
	require.NoError(t, sys.EnsureReconcileSchedule(context.Background()), "a second worker finds it made")
	h := suite.temporal.ScheduleClient().GetHandle(context.Background(), contract.ReconcileScheduleID)
	desc, err := h.Describe(context.Background())
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, desc.Schedule.Spec.Intervals[0].Every)
	require.NoError(t, h.Trigger(context.Background(), client.ScheduleTriggerOptions{}))
	require.Eventually(t, func() bool {
		d, err := h.Describe(context.Background())
		return err == nil && len(d.Info.RecentActions) > 0
	}, time.Minute, 100*time.Millisecond, "the triggered run shows among the schedule's actions")
}
