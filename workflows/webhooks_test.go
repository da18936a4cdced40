package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/signflow/signflow/workflows"
	"github.com/signflow/signflow/workflows/contract"
)

var hookPolicy = contract.WebhookPolicy{InitialInterval: 5 * time.Second, MaxInterval: time.Hour, Window: 72 * time.Hour}

// delivererRun runs the deliverer over a queue of deliveries whose
// attempts succeed when succeed says so, and returns the workflow time of
// every attempt per delivery and the dead letters.
func delivererRun(t *testing.T, queue []string, succeed func(id string, attempt int) bool) (map[string][]time.Time, []string) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	registerActivities(env)
	attempts := map[string][]time.Time{}
	var dead []string
	env.OnActivity(contract.NextWebhookDeliveryActivity, mock.Anything, "sub", "env").Return(func(context.Context, string, string) (*contract.WebhookTask, error) {
		if len(queue) == 0 {
			return nil, nil
		}
		return &contract.WebhookTask{DeliveryID: queue[0]}, nil
	})
	env.OnActivity(contract.AttemptWebhookDeliveryActivity, mock.Anything, mock.Anything).Return(func(_ context.Context, r contract.WebhookAttemptRequest) (contract.WebhookResult, error) {
		attempts[r.DeliveryID] = append(attempts[r.DeliveryID], env.Now())
		ok := succeed(r.DeliveryID, r.Attempt)
		if ok {
			queue = queue[1:]
		}
		return contract.WebhookResult{Done: ok}, nil
	})
	env.OnActivity(contract.DeadLetterWebhookActivity, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) error {
		dead = append(dead, id)
		queue = queue[1:]
		return nil
	})
	env.ExecuteWorkflow(workflows.WebhookDeliverer, contract.WebhookDelivererInput{SubscriptionID: "sub", EnvelopeID: "env", Policy: hookPolicy})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "the deliverer ends once idle")
	return attempts, dead
}

func TestDeliveriesBackOffExponentiallyWithJitterThenSucceed(t *testing.T) {
	attempts, dead := delivererRun(t, []string{"d1", "d2"}, func(id string, n int) bool { return id == "d2" || n == 8 })
	require.Empty(t, dead)
	require.Len(t, attempts["d1"], 8)
	for n := 1; n < 8; n++ {
		gap := attempts["d1"][n].Sub(attempts["d1"][n-1])
		nominal := min(5*time.Second<<(n-1), time.Hour)
		require.GreaterOrEqual(t, gap, nominal/2, "attempt %d", n+1)
		require.LessOrEqual(t, gap, nominal, "attempt %d", n+1)
	}
	require.False(t, attempts["d2"][0].Before(attempts["d1"][7]), "d2 waits until d1 is delivered")
}

func TestADeliveryIsDeadLetteredAfterItsWindowAndTheNextGoesOn(t *testing.T) {
	attempts, dead := delivererRun(t, []string{"d1", "d2"}, func(id string, _ int) bool { return id == "d2" })
	require.Equal(t, []string{"d1"}, dead)
	tries := attempts["d1"]
	last := tries[len(tries)-1].Sub(tries[0])
	require.GreaterOrEqual(t, last, 72*time.Hour-time.Hour, "tried for the whole window")
	require.Less(t, last, 72*time.Hour+time.Hour)
	for i := 1; i < len(tries); i++ {
		require.LessOrEqual(t, tries[i].Sub(tries[i-1]), time.Hour, "capped at an hour")
	}
	require.Len(t, attempts["d2"], 1, "the next event goes out once the dead one is set aside")
}
