package workflows

import (
	"time"

	"github.com/signflow/signflow/workflows/contract"
	"go.temporal.io/sdk/workflow"
)

// Retention runs on a schedule and applies each tenant's retention policy:
// the documents of envelopes ended longer ago than the policy keeps them
// are deleted, one envelope at a time, each deletion recorded in that
// envelope's audit trail; an envelope under a legal hold is kept. In a dry
// run it only lists them, and the run's result in the Web UI says what
// would go.
func Retention(ctx workflow.Context, in contract.RetentionInput) (contract.RetentionReport, error) {
	var report contract.RetentionReport
	actx := withRetries(ctx, time.Minute)
	var plan contract.RetentionPlan
	if err := workflow.ExecuteActivity(actx, contract.FindRetentionDueActivity, in.Limit).Get(ctx, &plan); err != nil {
		return report, err
	}
	report.DryRun = in.DryRun || plan.DryRun
	for _, d := range plan.Due {
		report.Due = append(report.Due, d.EnvelopeID)
	}
	if report.DryRun {
		return report, nil
	}
	for _, d := range plan.Due {
		var held bool
		if err := workflow.ExecuteActivity(actx, contract.DeleteDocumentsActivity, d).Get(ctx, &held); err != nil {
			return report, err
		}
		if held {
			report.Held = append(report.Held, d.EnvelopeID)
		} else {
			report.Deleted = append(report.Deleted, d.EnvelopeID)
		}
	}
	return report, nil
}
