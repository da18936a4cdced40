package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

func TestReconcileVoidsTheUnstartedAndFlagsTheEnded(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	registerActivities(env)
	strays := []contract.Stray{
		{EnvelopeID: "never-started", Run: contract.RunMissing},
		{EnvelopeID: "terminated", Run: "terminated"},
	}
	env.OnActivity(contract.FindStrayEnvelopesActivity, mock.Anything, 10*time.Minute, 24*time.Hour).Return(strays, nil)
	env.OnActivity(contract.VoidStrayActivity, mock.Anything, "never-started").Return(nil).Once()
	env.OnActivity(contract.FlagStrayActivity, mock.Anything, strays[1]).Return(nil).Once()
	env.OnActivity(contract.WakeWaitingWebhooksActivity, mock.Anything, 10*time.Minute).Return(3, nil)
	env.OnActivity(contract.ResumeBulkSendsActivity, mock.Anything, 10*time.Minute).Return(1, nil)

	env.ExecuteWorkflow(workflows.Reconcile, contract.ReconcileInput{StaleAfter: 10 * time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var report contract.ReconcileReport
	require.NoError(t, env.GetWorkflowResult(&report))
	require.Equal(t, []string{"never-started"}, report.Voided)
	require.Equal(t, []string{"terminated"}, report.Flagged)
	require.Equal(t, 3, report.Woken)
	require.Equal(t, 1, report.BulkResumed)
	require.EqualValues(t, 6, report.Findings())
	env.AssertExpectations(t)
}
