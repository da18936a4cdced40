package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"go.temporal.io/sdk/temporal"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/internal/notifications/email"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// DefaultMaxAttachedCopyBytes caps what the completed copy attaches; larger
// documents are linked instead, for signinglink.CopyValidity.
const DefaultMaxAttachedCopyBytes = 10 << 20

// SendNotification emails an outbox row. A row already sent is skipped and
// an accepted send is recorded before the activity returns; the Message-ID
// is the row's, so in the rare crash between the two, the receiving side
// can still tell the copies apart. SMTP outages are retried with backoff.
func (a *Mail) SendNotification(ctx context.Context, req contract.EnvelopeNotification) error {
	return whileHeartbeating(ctx, func() error { return a.send(ctx, req) })
}

// SendNotifications emails the outbox rows one change owes, as
// SendNotification does each, and reports the ones the mail server refused
// for good. Any other failure fails the activity once every row has been
// tried; its retry skips the rows already sent.
func (a *Mail) SendNotifications(ctx context.Context, reqs []contract.EnvelopeNotification) ([]contract.MailRefusal, error) {
	var refusals []contract.MailRefusal
	var failed error
	err := whileHeartbeating(ctx, func() error {
		for _, req := range reqs {
			err := a.send(ctx, req)
			reason, refusedForGood := Refusal(err)
			switch {
			case refusedForGood:
				refusals = append(refusals, contract.MailRefusal{RecipientID: req.RecipientID, Reason: reason})
			case err != nil:
				failed = errors.Join(failed, err)
			}
		}
		return failed
	})
	return refusals, err
}

// send emails one outbox row unless it was sent already.
func (a *Mail) send(ctx context.Context, req contract.EnvelopeNotification) error {
	n, err := a.Store.Notification(ctx, req.EnvelopeID, req.RecipientID, req.Kind, req.Sequence)
	if err != nil {
		return err
	}
	if n.SentAt != nil {
		return nil
	}
	return a.Deliver(ctx, n)
}

// Deliver emails an outbox row and records it sent. It is the activities'
// send and the outbox dispatcher's; a refusal for good is an error that
// Refusal reads.
func (a *Mail) Deliver(ctx context.Context, n *models.QueuedNotification) error {
	env, err := a.Store.GetEnvelope(ctx, n.TenantID, n.EnvelopeID)
	if err != nil {
		return err
	}
	var r models.Recipient
	for _, x := range env.Recipients {
		if x.ID == n.RecipientID {
			r = x
		}
	}
	if n.Channel == models.ChannelSMS {
		return a.text(ctx, env, r, n)
	}
	msg, err := a.compose(ctx, env, r, n)
	if err != nil {
		return err
	}
	if err := a.SMTP.Send(ctx, msg); err != nil {
		if refused(err) {
			a.Metrics.Email(metrics.EmailRefused)
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the mail server refused %s to recipient %s for good: %v",
				n.Kind, r.ID, err), contract.MailRefusedErrorType, err)
		}
		a.Metrics.Email(metrics.EmailFailed)
		return fmt.Errorf("send %s to recipient %s: %w", n.Kind, r.ID, err)
	}
	a.Metrics.Email(metrics.EmailSent)
	return a.Store.MarkSent(ctx, n, time.Now())
}

// Refusal says whether err is Deliver's refusal for good, and its reason.
func Refusal(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.MailRefusedErrorType {
		return appErr.Message(), true
	}
	return "", false
}

// refused says the server answered the recipient or the message with a
// permanent (5xx) refusal; outages and 4xx answers are worth retrying.
func refused(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 &&
		(se.Reason == mail.ErrSMTPRcptTo || se.Reason == mail.ErrSMTPData)
}

// compose gathers what the notification says and composes it.
func (a *Mail) compose(ctx context.Context, env *models.Envelope, r models.Recipient, n *models.QueuedNotification) (*mail.Msg, error) {
	note := email.Notification{Kind: n.Kind, MessageID: n.ID + "@signflow", To: r.Email, Name: r.Name,
		Subject: env.Subject, Message: env.Message, ExpiresAt: env.ExpiresAt, LinkedFor: signinglink.CopyValidity,
		Locale: locale.For(r.Locale, env.Locale).Tag,
		Link:   a.PublicURL + signinglink.Path(a.Links.TokenFor(r.ID, r.LinkGeneration, r.TokenHash))}
	var err error
	if note.Brand, err = a.Store.BrandingOf(ctx, env.TenantID); err != nil {
		return nil, err
	}
	if n.Kind == models.NotifyCompleted {
		if err := a.attachFinals(ctx, env, r, &note); err != nil {
			return nil, err
		}
	}
	msg, err := email.Composer{From: a.SMTP.From}.Notification(note)
	if err != nil {
		return nil, fmt.Errorf("compose %s to recipient %s: %w", n.Kind, r.ID, err)
	}
	return msg, nil
}

// attachFinals attaches the completed documents, or links them when they
// are too large to attach.
func (a *Mail) attachFinals(ctx context.Context, env *models.Envelope, r models.Recipient, note *email.Notification) error {
	var total int64
	for _, d := range env.Documents {
		total += d.FinalSizeBytes
	}
	for _, d := range env.Documents {
		name := strings.TrimSuffix(d.Name, ".pdf") + "-signed.pdf"
		if total > a.maxAttachmentBytes() {
			note.Linked = append(note.Linked, email.Linked{Name: name, URL: a.PublicURL + signinglink.CopyPath(a.Links.CopyToken(r.ID), d.ID)})
			continue
		}
		pdf, err := a.Blobs.Get(ctx, blob.FinalKey(env.ID, d.ID))
		if err != nil {
			return fmt.Errorf("attach final document %s: %w", d.ID, err)
		}
		note.Attachments = append(note.Attachments, email.Attachment{Name: name, Data: pdf})
	}
	return nil
}

func (a *Mail) maxAttachmentBytes() int64 {
	if a.MaxAttachedCopyBytes > 0 {
		return a.MaxAttachedCopyBytes
	}
	return DefaultMaxAttachedCopyBytes
}
