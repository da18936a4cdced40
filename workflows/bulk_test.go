package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

// bulkRecorder records the batches a bulk send runs.
type bulkRecorder struct {
	mu      sync.Mutex
	batches []contract.BulkBatch
}

func (r *bulkRecorder) send(_ context.Context, b contract.BulkBatch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

func update(env *testsuite.TestWorkflowEnvironment, name string, rejected *bool) {
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {}, OnComplete: func(any, error) {},
		OnReject: func(error) {
			if rejected != nil {
				*rejected = true
			}
		},
	})
}

func TestBulkSendRunsEveryRowInBatches(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &bulkRecorder{}
	env.OnActivity(contract.SendBulkRowsActivity, mock.Anything, mock.Anything).Return(rec.send)
	env.OnActivity(contract.FinishBulkSendActivity, mock.Anything, "b", models.BulkCompleted).Return(nil).Once()
	env.ExecuteWorkflow(workflows.BulkSend, contract.BulkSendInput{BulkID: "b", Rows: 45})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []contract.BulkBatch{{BulkID: "b", From: 0, To: 20}, {BulkID: "b", From: 20, To: 40}, {BulkID: "b", From: 40, To: 45}}, rec.batches)
	env.AssertExpectations(t)
}

func TestBulkSendPausedRefusesRepeatsAndCancels(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	registerActivities(env)
	env.OnActivity(contract.FinishBulkSendActivity, mock.Anything, "b", models.BulkCancelled).Return(nil).Once()
	var secondPause, afterCancel bool
	env.RegisterDelayedCallback(func() {
		update(env, contract.UpdateBulkPause, &secondPause)
		v, err := env.QueryWorkflow(contract.QueryBulkStatus)
		require.NoError(t, err)
		var p contract.BulkProgress
		require.NoError(t, v.Get(&p))
		require.Equal(t, contract.BulkProgress{State: contract.BulkStatePaused}, p)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		update(env, contract.UpdateBulkCancel, nil)
		update(env, contract.UpdateBulkCancel, &afterCancel)
	}, 2*time.Hour)
	env.ExecuteWorkflow(workflows.BulkSend, contract.BulkSendInput{BulkID: "b", Rows: 100, Paused: true})
	require.NoError(t, env.GetWorkflowError())
	require.True(t, secondPause, "pausing a paused send is refused")
	require.True(t, afterCancel, "cancelling twice is refused")
	env.AssertExpectations(t) // no batch ran: SendBulkRows has no mock
}

func TestBulkSendResumes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &bulkRecorder{}
	env.OnActivity(contract.SendBulkRowsActivity, mock.Anything, mock.Anything).Return(rec.send)
	env.OnActivity(contract.FinishBulkSendActivity, mock.Anything, "b", models.BulkCompleted).Return(nil).Once()
	env.RegisterDelayedCallback(func() {
		require.Empty(t, rec.batches, "nothing is sent while paused")
		update(env, contract.UpdateBulkResume, nil)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.BulkSend, contract.BulkSendInput{BulkID: "b", Rows: 30, Next: 10, Paused: true})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []contract.BulkBatch{{BulkID: "b", From: 10, To: 30}}, rec.batches, "a continued run starts at its next row")
}

// TestBulkSendHistoryStaysBounded: ten thousand rows carry on as new runs
// rather than grow one history without bound.
func TestBulkSendHistoryStaysBounded(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &bulkRecorder{}
	env.OnActivity(contract.SendBulkRowsActivity, mock.Anything, mock.Anything).Return(rec.send)
	env.ExecuteWorkflow(workflows.BulkSend, contract.BulkSendInput{BulkID: "b", Rows: 10_000})
	var next *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &next)
	require.Len(t, rec.batches, 100, "a run sends 2,000 rows, then the next run goes on")
}
