package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

func TestRetention(t *testing.T) {
	due := []models.RetentionDue{{EnvelopeID: "old", TenantID: "t"}, {EnvelopeID: "held-meanwhile", TenantID: "t"}}
	for _, tc := range []struct {
		name          string
		inputDryRun   bool
		workersDryRun bool
		deleted, held []string
	}{
		{"deletes, keeping the envelope put under a hold meanwhile", false, false, []string{"old"}, []string{"held-meanwhile"}},
		{"a dry run asked for lists only", true, false, nil, nil},
		{"workers set to dry-run list only", false, true, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			registerActivities(env)
			env.OnActivity(contract.FindRetentionDueActivity, mock.Anything, 500).Return(contract.RetentionPlan{Due: due, DryRun: tc.workersDryRun}, nil)
			if !tc.inputDryRun && !tc.workersDryRun {
				env.OnActivity(contract.DeleteDocumentsActivity, mock.Anything, due[0]).Return(false, nil).Once()
				env.OnActivity(contract.DeleteDocumentsActivity, mock.Anything, due[1]).Return(true, nil).Once()
			}
			env.ExecuteWorkflow(workflows.Retention, contract.RetentionInput{Limit: 500, DryRun: tc.inputDryRun})
			require.NoError(t, env.GetWorkflowError())
			var report contract.RetentionReport
			require.NoError(t, env.GetWorkflowResult(&report))
			require.Equal(t, []string{"old", "held-meanwhile"}, report.Due)
			require.Equal(t, tc.deleted, report.Deleted)
			require.Equal(t, tc.held, report.Held)
			require.Equal(t, tc.inputDryRun || tc.workersDryRun, report.DryRun)
			env.AssertExpectations(t)
		})
	}
}
