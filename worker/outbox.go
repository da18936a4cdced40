package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/signflow/signflow/activities"
	"github.com/signflow/signflow/internal/platform/repeat"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// Outbox timing. A claim is renewed while its attempt runs, as an
// activity's heartbeat is, so a row is not sent by two dispatchers at once,
// and a dispatcher that dies mid-send leaves its row to the others within
// claimFor. Failed attempts back off as the mail activities did (5 s
// doubling to a minute), so mail goes out within a minute of the SMTP
// server's return.
const (
	outboxPoll     = time.Second
	outboxBatch    = 64
	sendTimeout    = time.Minute
	claimFor       = 15 * time.Second
	renewEvery     = 5 * time.Second
	firstRetry     = 5 * time.Second
	longestBackoff = time.Minute
)

// Outbox sends the mail that envelope changes stored in the outbox with
// them, for the envelopes of one task queue: each worker runs one, and
// they share the rows by claiming them. A row is sent at least once (the
// Message-ID tells a resend after a crash apart), a failed send is retried
// with backoff for as long as it takes, and a refusal for good is reported
// to the envelope, which marks the recipient. Envelopes started before the
// dispatcher send their mail as activities, and it never touches theirs.
type Outbox struct {
	store   *database.Store
	queue   string
	deliver func(context.Context, *models.QueuedNotification) error
	report  func(ctx context.Context, envelopeID string, req contract.DeliveryFailedRequest) error
	log     *slog.Logger
	wake    chan struct{}
	slots   chan struct{}
	stop    context.CancelFunc
	running sync.WaitGroup
}

func newOutbox(queue string, mail *activities.Mail, workflows *contract.Client) *Outbox {
	o := &Outbox{store: mail.Store, queue: queue, deliver: mail.Deliver, log: mail.Log,
		wake: make(chan struct{}, 1), slots: make(chan struct{}, backgroundSlots)}
	if workflows != nil {
		o.report = workflows.DeliveryFailed
	}
	return o
}

// Wake has the dispatcher look for due rows now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default: // a look is already due
	}
}

func (o *Outbox) start() {
	ctx, stop := context.WithCancel(context.Background())
	o.stop = stop
	o.running.Go(func() { o.run(ctx) })
}

// halt stops looking for rows and waits for the sends under way.
func (o *Outbox) halt() {
	if o.stop != nil { // started
		o.stop()
	}
	o.running.Wait()
}

func (o *Outbox) run(ctx context.Context) {
	tick := time.NewTicker(outboxPoll)
	defer tick.Stop()
	for {
		o.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-tick.C:
		}
	}
}

// drain claims and sends every row due now, at most backgroundSlots at
// once. A row is claimed only once a slot is free for it, so that its claim
// is renewed from the moment it is taken.
func (o *Outbox) drain(ctx context.Context) {
	for ctx.Err() == nil {
		rows, err := o.store.DueNotifications(ctx, o.queue, time.Now(), outboxBatch)
		if err != nil {
			o.log.WarnContext(ctx, "outbox unreadable; trying again", "error", err)
			return // the database is away: the next poll tries again
		}
		for i := range rows {
			select {
			case o.slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			n := &rows[i]
			now := time.Now()
			claimed, err := o.store.ClaimNotification(ctx, n, now, now.Add(claimFor))
			if err != nil || !claimed {
				<-o.slots
				continue // another dispatcher has it, or the database is away
			}
			o.running.Go(func() {
				defer func() { <-o.slots }()
				o.send(n)
			})
		}
		if len(rows) < outboxBatch {
			return
		}
	}
}

// send makes one attempt at a claimed row. It runs to its end even while
// the worker stops, so that an accepted message is recorded sent.
func (o *Outbox) send(n *models.QueuedNotification) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	err := o.whileClaimed(ctx, n, func() error { return o.deliver(ctx, n) })
	if err == nil {
		return
	}
	if reason, ok := activities.Refusal(err); ok {
		if err = o.refused(ctx, n, reason); err == nil {
			return
		}
	}
	retry := backoff(n.Attempts)
	o.log.WarnContext(ctx, "email not sent; retrying", "envelope_id", n.EnvelopeID, "recipient_id", n.RecipientID,
		"kind", n.Kind, "attempts", n.Attempts, "retry_in", retry, "error", err)
	if err := o.store.PutOffNotification(ctx, n.ID, time.Now().Add(retry)); err != nil {
		o.log.WarnContext(ctx, "email retry not scheduled; the claim runs out instead", "error", err)
	}
}

// whileClaimed runs attempt, renewing n's claim until it returns.
func (o *Outbox) whileClaimed(ctx context.Context, n *models.QueuedNotification, attempt func() error) error {
	renew := func() {
		if err := o.store.PutOffNotification(ctx, n.ID, time.Now().Add(claimFor)); err != nil {
			o.log.WarnContext(ctx, "email claim not renewed", "envelope_id", n.EnvelopeID, "error", err)
		}
	}
	return repeat.While(renewEvery, renew, attempt)
}

// refused reports a refusal for good to the envelope, then marks the row so
// that it is not tried again. A report the envelope refuses (the recipient
// acted meanwhile, or the envelope ended) has nothing to change.
func (o *Outbox) refused(ctx context.Context, n *models.QueuedNotification, reason string) error {
	if o.report != nil {
		err := o.report(ctx, n.EnvelopeID, contract.DeliveryFailedRequest{RecipientID: n.RecipientID, Reason: reason})
		if err != nil && !errors.Is(err, contract.ErrRejected) && !errors.Is(err, contract.ErrNotRunning) {
			return err
		}
	}
	o.log.InfoContext(ctx, "email refused for good", "envelope_id", n.EnvelopeID, "recipient_id", n.RecipientID, "kind", n.Kind)
	return o.store.MarkRefused(ctx, n.ID, time.Now())
}

// backoff is the wait after the attempts-th failed attempt.
func backoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < longestBackoff; i++ {
		d *= 2
	}
	return min(d, longestBackoff)
}
