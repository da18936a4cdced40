package workflows

import (
	"time"

	"github.com/signflow/signflow/workflows/contract"
	"go.temporal.io/sdk/workflow"
)

// reconcileLookback is how far back a run looks for envelope workflows
// that ended abnormally; flags are recorded once however often they are
// found.
const reconcileLookback = 24 * time.Hour

// Reconcile runs on a schedule and compares what the database says with
// what Temporal runs: an envelope in progress whose workflow never started
// is voided; one whose workflow ended without completing is flagged for an
// operator; pending webhooks that no deliverer drains get one; a bulk send
// stored without its workflow gets it. Each run
// records how much it found as a search attribute.
func Reconcile(ctx workflow.Context, in contract.ReconcileInput) (contract.ReconcileReport, error) {
	var report contract.ReconcileReport
	actx := withHeartbeats(withRetries(ctx, 5*time.Minute), time.Minute)
	var strays []contract.Stray
	if err := workflow.ExecuteActivity(actx, contract.FindStrayEnvelopesActivity, in.StaleAfter, reconcileLookback).Get(ctx, &strays); err != nil {
		return report, err
	}
	for _, s := range strays {
		if s.Run == contract.RunMissing {
			if err := workflow.ExecuteActivity(actx, contract.VoidStrayActivity, s.EnvelopeID).Get(ctx, nil); err != nil {
				return report, err
			}
			report.Voided = append(report.Voided, s.EnvelopeID)
			continue
		}
		if err := workflow.ExecuteActivity(actx, contract.FlagStrayActivity, s).Get(ctx, nil); err != nil {
			return report, err
		}
		report.Flagged = append(report.Flagged, s.EnvelopeID)
	}
	if err := workflow.ExecuteActivity(actx, contract.WakeWaitingWebhooksActivity, in.StaleAfter).Get(ctx, &report.Woken); err != nil {
		return report, err
	}
	// Runs recorded before bulk sends existed did not look for them.
	if workflow.GetVersion(ctx, "resume-bulk-sends", workflow.DefaultVersion, 1) == 1 {
		if err := workflow.ExecuteActivity(actx, contract.ResumeBulkSendsActivity, in.StaleAfter).Get(ctx, &report.BulkResumed); err != nil {
			return report, err
		}
	}
	err := workflow.UpsertTypedSearchAttributes(ctx, contract.ReconcileFindingsAttribute.ValueSet(report.Findings()))
	return report, err
}
