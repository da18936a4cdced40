package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// errTextBudgetSpent: the envelope or its tenant was sent as many texts as
// an hour allows; the row waits and goes in a later hour.
var errTextBudgetSpent = errors.New("the hour's texts for this envelope or account are spent; the text waits")

// text sends an outbox row by SMS: short, in the recipient's language,
// naming the sender and the envelope, with the link to their page. The
// row's ID is the message's, the same on every retry, by which the
// provider's report of its fate finds it.
func (a *Mail) text(ctx context.Context, env *models.Envelope, r models.Recipient, n *models.QueuedNotification) error {
	if a.SMS == nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("no SMS provider is configured to text %s to recipient %s", n.Kind, r.ID),
			contract.MailRefusedErrorType, nil)
	}
	brand, err := a.Store.BrandingOf(ctx, env.TenantID)
	if err != nil {
		return err
	}
	sender := brand.Name
	if sender == "" {
		sender = "Signflow"
	}
	cat := locale.For(r.Locale, env.Locale)
	body := cat.T("sms."+n.Kind, map[string]string{"sender": sender, "subject": env.Subject, "expires": cat.LongDate(env.ExpiresAt),
		"link": a.PublicURL + signinglink.Path(a.Links.TokenFor(r.ID, r.LinkGeneration, r.TokenHash))})
	ok, err := a.Store.TakeText(ctx, a.Texts, env.TenantID, env.ID, time.Now())
	if err != nil {
		return err
	}
	if !ok {
		a.Metrics.Text(n.Kind, metrics.TextCapped)
		return errTextBudgetSpent
	}
	if err := a.SMS.Send(ctx, sms.Message{ID: n.ID, To: n.Phone, Body: body}); err != nil {
		returned := a.Store.ReturnText(context.WithoutCancel(ctx), env.TenantID, env.ID)
		if errors.Is(err, sms.ErrRefused) {
			a.Metrics.Text(n.Kind, metrics.TextRefused)
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the SMS provider refused %s to recipient %s for good: %v",
				n.Kind, r.ID, err), contract.MailRefusedErrorType, errors.Join(err, returned))
		}
		a.Metrics.Text(n.Kind, metrics.TextFailed)
		return fmt.Errorf("text %s to recipient %s: %w", n.Kind, r.ID, errors.Join(err, returned))
	}
	a.Metrics.Text(n.Kind, metrics.TextSent)
	return a.Store.MarkSent(ctx, n, time.Now())
}
