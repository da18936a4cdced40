package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/models"
)

// bulkRows is n rows of people for the employment template; the rows in
// broken are given an email address the rules refuse.
func bulkRows(n int, broken ...int) []J {
	rows := make([]J, n)
	for i := range rows {
		email := fmt.Sprintf("hire%d@example.com", i)
		for _, b := range broken {
			if b == i {
				email = "not an address"
			}
		}
		rows[i] = J{
			"roles": []J{
				{"role": "Employee", "name": fmt.Sprintf("Hire %d", i), "email": email, "access_code": testAccessCode},
				{"role": "Manager", "name": "Grace Hopper", "email": "grace.bulk@example.com", "access_code": testAccessCode},
			},
			"values": []J{{"name": "salary", "value": fmt.Sprintf("EUR %d", 50000+i), "read_only": true}},
		}
	}
	return rows
}

func awaitBulk(t *testing.T, api tenantAPI, id string, done func(J) bool) J {
	t.Helper()
	var last J
	require.Eventually(t, func() bool {
		status, body := api.call(http.MethodGet, "/v1/bulk-sends/"+id, nil)
		require.Equal(t, http.StatusOK, status, "%v", body)
		last = body
		return done(body)
	}, 2*time.Minute, 100*time.Millisecond, "bulk send %s", id)
	return last
}

func count(b J, status string) int { return int(at(b, "counts", status).(float64)) }

// TestBulkSendMakesAnEnvelopePerRowAtTheTenantsPace: a bulk send of a
// template makes one envelope per row, records the rows the rules refuse
// without stopping the others, answers a retry with the same key with the
// same bulk send, and paces the envelopes (and so their invitations) at
// the tenant's rate.
func TestBulkSendMakesAnEnvelopePerRowAtTheTenantsPace(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)

	status, problem := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": []J{}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "rows", str(problem, "errors", 0, "field"))
	status, problem = api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": "nope", "rows": bulkRows(1)})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "template_id", str(problem, "errors", 0, "field"))

	body := J{"template_id": str(tmpl, "id"), "rows": bulkRows(30, 7, 12)}
	key := map[string]string{"Idempotency-Key": "bulk-" + newTestID(), "Authorization": api.auth["Authorization"]}
	status, bulk := sendWith(t, http.MethodPost, suite.apiURL+"/v1/bulk-sends", "application/json", jsonBody(t, body), key)
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	id := str(bulk, "id")
	status, again := sendWith(t, http.MethodPost, suite.apiURL+"/v1/bulk-sends", "application/json", jsonBody(t, body), key)
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, id, str(again, "id"), "a retry with the same key is the same bulk send")

	done := awaitBulk(t, api, id, func(b J) bool { return b["status"] == "completed" })
	require.Equal(t, 28, count(done, "created"))
	require.Equal(t, 2, count(done, "refused"))
	require.Equal(t, 0, count(done, "pending"))

	status, refused := api.call(http.MethodGet, "/v1/bulk-sends/"+id+"/rows?status=refused", nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, at(refused, "data").([]any), 2)
	require.EqualValues(t, 7, at(refused, "data", 0, "row"))
	require.Equal(t, "recipients[0].email", str(refused, "data", 0, "errors", 0, "field"))
	require.EqualValues(t, 12, at(refused, "data", 1, "row"))

	status, created := api.call(http.MethodGet, "/v1/bulk-sends/"+id+"/rows?status=created&limit=20", nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, at(created, "data").([]any), 20)
	status, rest := api.call(http.MethodGet, "/v1/bulk-sends/"+id+"/rows?status=created&after="+str(created, "next_cursor"), nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, at(rest, "data").([]any), 8)

	var first, last time.Time
	for i, row := range append(at(created, "data").([]any), at(rest, "data").([]any)...) {
		status, env := api.call(http.MethodGet, "/v1/envelopes/"+str(row, "envelope_id"), nil)
		require.Equal(t, http.StatusOK, status, "%v", env)
		n := int(at(row, "row").(float64))
		require.Equal(t, fmt.Sprintf("Hire %d", n), str(env, "recipients", 0, "name"))
		require.Equal(t, fmt.Sprintf("EUR %d", 50000+n), str(env, "fields", 1, "value"))
		require.EqualValues(t, 1, at(env, "template", "version"))
		at, err := time.Parse(time.RFC3339Nano, str(env, "created_at"))
		require.NoError(t, err)
		if i == 0 || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	// 28 envelopes at 10 a second take at least two seconds.
	require.GreaterOrEqual(t, last.Sub(first), 2*time.Second, "bulk envelopes are paced")
}

// TestBulkSendPausesResumesAndCancels: a running bulk send pauses after
// its batch, refuses a second pause, resumes, and when cancelled leaves
// the rows it never reached cancelled and no row pending.
func TestBulkSendPausesResumesAndCancels(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	status, bulk := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": bulkRows(300)})
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	id := str(bulk, "id")

	status, paused := api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/pause", nil)
	require.Equal(t, http.StatusOK, status, "%v", paused)
	require.Equal(t, "paused", paused["status"])
	status, problem := api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/pause", nil)
	require.Equal(t, http.StatusConflict, status, "%v", problem)
	status, _ = api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/resume", nil)
	require.Equal(t, http.StatusOK, status)
	status, problem = api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/resume", nil)
	require.Equal(t, http.StatusConflict, status, "%v", problem)

	status, cancelling := api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/cancel", nil)
	require.Equal(t, http.StatusOK, status, "%v", cancelling)
	done := awaitBulk(t, api, id, func(b J) bool { return b["status"] == "cancelled" })
	require.Positive(t, count(done, "cancelled"), "%v", done)
	require.Zero(t, count(done, "pending"))
	require.Equal(t, 300, count(done, "created")+count(done, "cancelled"))
	status, problem = api.call(http.MethodPost, "/v1/bulk-sends/"+id+"/resume", nil)
	require.Equal(t, http.StatusConflict, status, "an ended bulk send takes no more: %v", problem)
}

// TestBulkSendFromCSV reads the rows from CSV, naming a column it does not
// know.
func TestBulkSendFromCSV(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	post := func(csv string) (int, J) {
		return sendWith(t, http.MethodPost, suite.apiURL+"/v1/bulk-sends?template_id="+str(tmpl, "id"), "text/csv",
			strings.NewReader(csv), api.auth)
	}
	status, problem := post("Employee.name,Employee.fax\nAda,123\n")
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	require.Equal(t, "csv.columns[1]", str(problem, "errors", 0, "field"))

	status, bulk := post("Employee.name,Employee.email,Employee.access_code,Manager.name,Manager.email,Manager.access_code,value.salary,subject\n" +
		"Zoë Ångström,zoe@example.com," + testAccessCode + ",Grace Hopper,grace.csv@example.com," + testAccessCode + ",EUR 61000,\"Offer, Zoë\"\n" +
		"李小龙,li@example.com," + testAccessCode + ",Grace Hopper,grace.csv@example.com," + testAccessCode + ",,\n")
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	done := awaitBulk(t, api, str(bulk, "id"), func(b J) bool { return b["status"] == "completed" })
	require.Equal(t, 2, count(done, "created"), "%v", done)
	other := newTenantAPI(t, suite.apiURL)
	status, _ = other.call(http.MethodGet, "/v1/bulk-sends/"+str(bulk, "id"), nil)
	require.Equal(t, http.StatusNotFound, status, "another tenant sees no bulk send of this one")
	status, _ = other.call(http.MethodPost, "/v1/bulk-sends/"+str(bulk, "id")+"/cancel", nil)
	require.Equal(t, http.StatusNotFound, status)
	_, rows := api.call(http.MethodGet, "/v1/bulk-sends/"+str(bulk, "id")+"/rows", nil)
	_, env := api.call(http.MethodGet, "/v1/envelopes/"+str(rows, "data", 0, "envelope_id"), nil)
	require.Equal(t, "Offer, Zoë", env["subject"])
	require.Equal(t, "Zoë Ångström", str(env, "recipients", 0, "name"))
	require.Equal(t, "EUR 61000", str(env, "fields", 1, "value"))
	_, env = api.call(http.MethodGet, "/v1/envelopes/"+str(rows, "data", 1, "envelope_id"), nil)
	require.Equal(t, "李小龙", str(env, "recipients", 0, "name"))
	require.Equal(t, "Your employment contract", env["subject"])
}

// TestBulkSendSurvivesAWorkerCrash: the worker dies while a bulk send is
// making envelopes; a new one finishes it, and every row has exactly one
// envelope with one creation event.
func TestBulkSendSurvivesAWorkerCrash(t *testing.T) {
	t.Parallel()
	const queue, rows = "signflow-bulk-crash", 60
	base := newAPI(t, queue)
	api := tenantAPI{t, base, map[string]string{"Authorization": "Bearer " + suite.token}, models.DefaultTenantID}
	first := startWorkerProcess(t, queue)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Crash-proof contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	status, bulk := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": bulkRows(rows)})
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	id := str(bulk, "id")

	awaitBulk(t, api, id, func(b J) bool { return count(b, "created") >= 15 })
	first.kill()
	startWorkerProcess(t, queue)
	done := awaitBulk(t, api, id, func(b J) bool { return b["status"] == "completed" })
	require.Equal(t, rows, count(done, "created"), "%v", done)

	var made int64
	require.NoError(t, rawDB().Model(&models.Envelope{}).Where("template_id = ?", str(tmpl, "id")).Count(&made).Error)
	require.EqualValues(t, rows, made, "one envelope per row, none twice")
	_, page := api.call(http.MethodGet, "/v1/bulk-sends/"+id+"/rows?limit=1000", nil)
	seen := map[string]bool{}
	for _, row := range at(page, "data").([]any) {
		envID := str(row, "envelope_id")
		require.False(t, seen[envID])
		seen[envID] = true
		created := 0
		for _, e := range requireGaplessEvents(t, envID) {
			if e.Type == models.EventEnvelopeCreated {
				created++
			}
		}
		require.Equal(t, 1, created, "envelope %s", envID)
	}
}

// TestBulkSendTakesTenThousandRowsAndNoMore: the largest bulk send is
// accepted at once and can be cancelled; one row more is refused whole.
func TestBulkSendTakesTenThousandRowsAndNoMore(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	status, problem := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": bulkRows(10_001)})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "rows", str(problem, "errors", 0, "field"))

	status, bulk := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": bulkRows(10_000)})
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	require.EqualValues(t, 10_000, bulk["rows"])
	status, _ = api.call(http.MethodPost, "/v1/bulk-sends/"+str(bulk, "id")+"/cancel", nil)
	require.Equal(t, http.StatusOK, status)
	done := awaitBulk(t, api, str(bulk, "id"), func(b J) bool { return b["status"] == "cancelled" })
	require.Equal(t, 10_000, count(done, "created")+count(done, "cancelled"))
	require.Less(t, count(done, "created"), 10_000)
}

// TestBulkRowsKeepNoPersonalDataInClear: a waiting row's people are sealed
// under the data keys, and a settled row keeps none of them.
func TestBulkRowsKeepNoPersonalDataInClear(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	status, bulk := api.call(http.MethodPost, "/v1/bulk-sends", J{"template_id": str(tmpl, "id"), "rows": bulkRows(3)})
	require.Equal(t, http.StatusAccepted, status, "%v", bulk)
	var inputs []string
	require.NoError(t, rawDB().Model(&models.BulkRow{}).Where("bulk_id = ?", str(bulk, "id")).Pluck("input", &inputs).Error)
	for _, in := range inputs {
		require.NotContains(t, in, "example.com", "no address in clear")
		require.NotContains(t, in, testAccessCode, "no access code in clear")
	}
	awaitBulk(t, api, str(bulk, "id"), func(b J) bool { return b["status"] == "completed" })
	require.NoError(t, rawDB().Model(&models.BulkRow{}).Where("bulk_id = ?", str(bulk, "id")).Pluck("input", &inputs).Error)
	require.Equal(t, []string{"", "", ""}, inputs, "a settled row keeps nothing")
}

// TestABulkSendStoredWithoutItsWorkflowIsResumed: an API that died between
// storing a bulk send and starting its workflow leaves it to the
// reconciliation, which starts it.
func TestABulkSendStoredWithoutItsWorkflowIsResumed(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL)
	status, tmpl := api.call(http.MethodPost, "/v1/templates", employmentTemplate(t, "Your employment contract"))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	created := time.Now().Add(-time.Hour).UTC()
	b := &models.BulkSend{ID: models.NewID(), TenantID: api.tenant, TemplateID: str(tmpl, "id"), TemplateVersion: 1,
		CreatedBy: "test", Status: models.BulkRunning, Rows: 2, CreatedAt: created}
	var rows []models.BulkRow
	for i, row := range bulkRows(2) {
		input, err := json.Marshal(row)
		require.NoError(t, err)
		rows = append(rows, models.BulkRow{BulkID: b.ID, Position: i, Input: string(input), Status: models.RowPending,
			EnvelopeID: models.NewID(), UpdatedAt: created})
	}
	require.NoError(t, suite.store.CreateBulkSend(context.Background(), b, rows))

	reconcile(t)
	done := awaitBulk(t, api, b.ID, func(b J) bool { return b["status"] == "completed" })
	require.Equal(t, 2, count(done, "created"))
}
