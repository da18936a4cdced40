package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (see testdata/histories/README.md). A change to EnvelopeWorkflow or
// WebhookDeliverer that would break workflows already in flight fails
// here: guard it with workflow.GetVersion instead.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "recorded histories are missing")
	replayer := worker.NewWorkflowReplayer()
	// Registered as the worker registers them: histories recorded under
	// these type names replay only if the contract still names them so.
	replayer.RegisterWorkflowWithOptions(workflows.EnvelopeWorkflow, workflow.RegisterOptions{Name: contract.EnvelopeWorkflowType})
	replayer.RegisterWorkflowWithOptions(workflows.WebhookDeliverer, workflow.RegisterOptions{Name: contract.WebhookDelivererType})
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(logger, f))
		})
	}
}
