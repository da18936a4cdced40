// Package verification lets recipients prove who they are before they
// act: it emails one-time codes, checks them and access codes against a
// failure budget per link, and starts the signing sessions every action
// is tied to.
package verification

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/internal/notifications/email"
	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/internal/platform/metrics"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// Second-factor rules.
const (
	// CodeTTL is how long an emailed code works.
	CodeTTL = 10 * time.Minute
	// CodesPerHour is how many codes a recipient may be sent in an hour.
	CodesPerHour = 5
	// FailureWindow is how long wrong codes count against an address.
	FailureWindow = 15 * time.Minute
	// FailureBudget is how many failed verifications one link generation
	// allows, from every address and over its whole life, before it is
	// locked until the sender sends a new link. With a 6-digit code that is
	// a 1 in 100,000 chance for a guesser; with the weakest access code
	// CheckAccessCode admits, about 1 in 10,000.
	FailureBudget = 10
	codeMaxTries  = 5
	maxFailuresIP = 30
	// freeFailures are the typos allowed before failures are spaced out:
	// as many as one emailed code's tries.
	freeFailures = codeMaxTries
	maxDelay     = 5 * time.Minute
)

var (
	// ErrNoEmailCode: the recipient confirms with an access code only.
	ErrNoEmailCode = errors.New("the recipient confirms with an access code, not an emailed code")
	// ErrTooManyCodes: CodesPerHour were sent in the last hour.
	ErrTooManyCodes = errors.New("too many codes were sent in the last hour")
	// ErrTooManyTexts: the envelope or the tenant sent as many texts as an
	// hour allows (Verifier.Texts).
	ErrTooManyTexts = errors.New("too many texts were sent in the last hour")
	// ErrNumberRefused: the SMS provider refused the recipient's number for
	// good; the sender must correct it.
	ErrNumberRefused = errors.New("the SMS provider refuses the recipient's number")
	// ErrNoSessionNeeded: the recipient's link needs no verification.
	ErrNoSessionNeeded = errors.New("the link needs no verification")
	// ErrTooManyAttempts: too many wrong codes from one address in FailureWindow.
	ErrTooManyAttempts = errors.New("too many wrong codes from this address")
	// ErrLinkLocked: the link generation spent its FailureBudget.
	ErrLinkLocked = errors.New("the link is locked after too many failed verifications")
)

// TooSoonError: the last failure's delay has not passed yet.
type TooSoonError struct{ RetryAfter time.Duration }

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("wait %s before the next attempt", e.RetryAfter)
}

// failureDelay is the wait after the n-th failure: none for the first
// typos, then doubling from a second up to maxDelay.
func failureDelay(n int) time.Duration {
	if n <= freeFailures {
		return 0
	}
	return min(time.Second<<min(n-freeFailures-1, 16), maxDelay)
}

// GuardState is what a link's holder may know of its verification budget.
type GuardState struct {
	Locked       bool `json:"locked"`
	AttemptsLeft int  `json:"attempts_left"`
}

// Refusal is a verification that failed and was audited: the method that
// failed and why, for the audit trail only (the holder of a link is told
// neither, so that no factor can be guessed on its own), and the attempts
// left before the link locks.
type Refusal struct {
	Method, Reason string
	AttemptsLeft   int
}

func (r *Refusal) Error() string { return "verification failed: " + r.Reason }

// Mailer delivers a composed email; smtp.Client is Signflow's.
type Mailer interface {
	Send(ctx context.Context, msg *mail.Msg) error
}

// Verifier lets recipients prove who they are: it emails one-time codes,
// checks them and access codes, and starts signing sessions.
type Verifier struct {
	Store   *database.Store
	Links   *signinglink.Minter
	Mail    Mailer
	Compose email.Composer
	// SMS texts codes to recipients who confirm with sms_otp; nil when no
	// provider is configured (such recipients cannot be created then).
	SMS sms.Sender
	// Texts caps the texts of an envelope and of a tenant in an hour.
	Texts database.TextBudget
	// Metrics counts texts; nil counts nothing.
	Metrics    *metrics.Metrics
	SessionTTL time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// EventFor makes the audit event of the request under way, of a type.
type EventFor func(eventType string) models.Event

// Credentials are what a recipient presents to start a session.
type Credentials struct {
	Code       string // the emailed one-time code
	AccessCode string // the code the sender gave them
}

// now is the clock in UTC, the one zone every stored time is in.
func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

// Counter buckets: each limit is decided by one database statement, so
// parallel requests on any number of API replicas cannot overrun it.
func codesBucket(recipientID string) string { return "codes:" + recipientID }
func addressBucket(ip string) string        { return "failures-from:" + ip }

// SendCode emails or texts r a new 6-digit code and records that it was
// sent; it answers when the code expires.
func (v *Verifier) SendCode(ctx context.Context, r *models.Recipient, env *models.Envelope, event EventFor) (time.Time, error) {
	methods := models.Methods(r.Authentication)
	byText := slices.Contains(methods, models.AuthSMSOTP)
	if !byText && !slices.Contains(methods, models.AuthEmailOTP) {
		return time.Time{}, ErrNoEmailCode
	}
	now := v.now()
	// A code that never left counts against no limit.
	issued, err := v.Store.Hit(ctx, codesBucket(r.ID), time.Hour, now)
	if err != nil {
		return time.Time{}, err
	}
	unhit := func(err error) error {
		return errors.Join(err, v.Store.Unhit(context.WithoutCancel(ctx), codesBucket(r.ID)))
	}
	if issued > CodesPerHour {
		return time.Time{}, unhit(ErrTooManyCodes)
	}
	if byText {
		if ok, err := v.Store.TakeText(ctx, v.Texts, env.TenantID, env.ID, now); err != nil || !ok {
			if err == nil {
				v.Metrics.Text(textKind, metrics.TextCapped)
			}
			return time.Time{}, unhit(cmp.Or(err, ErrTooManyTexts))
		}
		give := unhit
		unhit = func(err error) error {
			return give(errors.Join(err, v.Store.ReturnText(context.WithoutCancel(ctx), env.TenantID, env.ID)))
		}
	}
	expires, err := v.sendCode(ctx, r, env, now, byText)
	if err != nil {
		return time.Time{}, unhit(err)
	}
	sent := event(models.EventOTPSent)
	if byText {
		sent.Details = map[string]any{"channel": "sms"}
	}
	return expires, v.Store.AppendEvent(ctx, sent)
}

// sendCode draws a code, stores its digest and emails or texts it.
func (v *Verifier) sendCode(ctx context.Context, r *models.Recipient, env *models.Envelope, now time.Time, byText bool) (time.Time, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return time.Time{}, fmt.Errorf("draw a code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	expires := now.Add(CodeTTL)
	err = v.Store.CreateOTP(ctx, models.OTPCode{ID: models.NewID(), TenantID: r.TenantID, RecipientID: r.ID, LinkGeneration: r.LinkGeneration,
		CodeHash: v.Links.Digest("otp:"+r.ID, code), ExpiresAt: expires, CreatedAt: now})
	if err != nil {
		return time.Time{}, err
	}
	if byText {
		return expires, v.textCode(ctx, r, env, code)
	}
	brand, err := v.Store.BrandingOf(ctx, r.TenantID)
	if err != nil {
		return time.Time{}, err
	}
	msg, err := v.Compose.SigningCode(email.Code{To: r.Email, Name: r.Name, Subject: env.Subject, Code: code,
		Locale: locale.For(r.Locale, env.Locale).Tag, ValidFor: CodeTTL, Brand: brand})
	if err != nil {
		return time.Time{}, err
	}
	if err := v.Mail.Send(ctx, msg); err != nil {
		return time.Time{}, fmt.Errorf("email the code: %w", err)
	}
	return expires, nil
}

// StartSession checks every credential r's setting asks for and starts a
// signing session, answering its bearer token. A wrong credential is
// audited and answered as a *Refusal; ip counts failures per address.
// Each attempt is counted before it is checked, on the address's window
// and on the link's budget, and taken back if it was right or could not
// be checked: of parallel wrong attempts no more than the limits are
// tried.
func (v *Verifier) StartSession(ctx context.Context, r *models.Recipient, creds Credentials, ip string, event EventFor) (string, *models.SigningSession, error) {
	methods := models.Methods(r.Authentication)
	if len(methods) == 0 {
		return "", nil, ErrNoSessionNeeded
	}
	now := v.now()
	unhitAddress := func() error { return v.Store.Unhit(context.WithoutCancel(ctx), addressBucket(ip)) }
	hits, err := v.Store.Hit(ctx, addressBucket(ip), FailureWindow, now)
	if err != nil {
		return "", nil, err
	}
	if hits > maxFailuresIP {
		return "", nil, errors.Join(ErrTooManyAttempts, unhitAddress())
	}
	guard, outcome, err := v.Store.ReserveAttempt(ctx, r.TenantID, r.ID, r.LinkGeneration, FailureBudget, now, failureDelay)
	switch {
	case err != nil:
		return "", nil, errors.Join(err, unhitAddress())
	case outcome == models.AttemptLocked:
		return "", nil, errors.Join(ErrLinkLocked, unhitAddress())
	case outcome == models.AttemptTooSoon:
		wait := time.Second
		if guard.NextAttemptAt != nil {
			wait = max(wait, guard.NextAttemptAt.Sub(now).Round(time.Second))
		}
		return "", nil, errors.Join(&TooSoonError{RetryAfter: wait}, unhitAddress())
	}
	token, session, err := v.verify(ctx, r, methods, creds, now, event)
	var refusal *Refusal
	if !errors.As(err, &refusal) {
		refund := v.Store.RefundAttempt(context.WithoutCancel(ctx), r.ID, r.LinkGeneration)
		return token, session, errors.Join(err, refund, unhitAddress())
	}
	refusal.AttemptsLeft = max(0, FailureBudget-guard.Failures)
	if refusal.AttemptsLeft == 0 {
		return "", nil, errors.Join(err, v.lock(ctx, r, event))
	}
	return "", nil, err
}

// lock audits that r's link generation spent its budget; the event's key
// makes it one event however many refusals reach the budget's end.
func (v *Verifier) lock(ctx context.Context, r *models.Recipient, event EventFor) error {
	e := event(models.EventLinkLocked)
	e.Key = fmt.Sprintf("locked:%s:%d", r.ID, r.LinkGeneration)
	e.Details = map[string]any{"failures": FailureBudget, "link_generation": r.LinkGeneration}
	return v.Store.AppendEvent(ctx, e)
}

// Guard is what the holder of r's link may know of its budget.
func (v *Verifier) Guard(ctx context.Context, r *models.Recipient) (GuardState, error) {
	g, err := v.Store.LinkGuardOf(ctx, r.ID, r.LinkGeneration)
	if err != nil {
		return GuardState{}, err
	}
	return GuardState{Locked: g.Failures >= FailureBudget, AttemptsLeft: max(0, FailureBudget-g.Failures)}, nil
}

// verify checks the credentials and starts the session.
func (v *Verifier) verify(ctx context.Context, r *models.Recipient, methods []string, creds Credentials, now time.Time, event EventFor) (string, *models.SigningSession, error) {
	var otp *models.OTPCode
	for _, m := range methods {
		var reason string
		switch m {
		case models.AuthEmailOTP, models.AuthSMSOTP:
			otp, reason = v.checkCode(ctx, r, creds.Code, now)
		case models.AuthAccessCode:
			if !signing.AccessCodeMatches(v.Links, r.ID, r.AccessCodeHash, creds.AccessCode) {
				reason = "the access code is wrong"
			}
		}
		if reason != "" {
			return "", nil, v.refuse(ctx, m, reason, event)
		}
	}
	if otp != nil {
		if spent, err := v.Store.UseOTP(ctx, otp.ID, now); err != nil || !spent {
			return "", nil, v.refuse(ctx, methods[0], "the code was already used", event)
		}
	}
	token := signinglink.RandomToken()
	session := &models.SigningSession{ID: models.NewID(), TenantID: r.TenantID, RecipientID: r.ID, TokenHash: signinglink.Hash(token),
		Methods: methods, LinkGeneration: r.LinkGeneration, VerifiedAt: now, ExpiresAt: now.Add(v.SessionTTL), CreatedAt: now}
	started := event(models.EventSessionStarted)
	started.Details = map[string]any{"session_id": session.ID, "auth_methods": methods}
	if err := v.Store.CreateSession(ctx, *session); err != nil {
		return "", nil, err
	}
	if err := v.Store.AppendEvent(ctx, started); err != nil {
		return "", nil, err
	}
	return token, session, nil
}

// checkCode spends one of the latest code's tries, then compares the code
// in constant time; it returns the code record when it matches, or why not.
func (v *Verifier) checkCode(ctx context.Context, r *models.Recipient, given string, now time.Time) (*models.OTPCode, string) {
	otp, err := v.Store.LatestOTP(ctx, r.ID)
	switch {
	case err != nil, otp.LinkGeneration != r.LinkGeneration:
		return nil, "no code was requested for this link; request one first"
	case otp.UsedAt != nil:
		return nil, "the code was already used; request a new one"
	case !now.Before(otp.ExpiresAt):
		return nil, "the code has expired; request a new one"
	}
	if tried, err := v.Store.TryOTP(ctx, otp.ID, codeMaxTries); err != nil || !tried {
		return nil, "the code was tried too many times; request a new one"
	}
	if !v.Links.DigestMatches("otp:"+r.ID, given, otp.CodeHash) {
		return nil, "the code is wrong"
	}
	return otp, ""
}

// refuse records a failed attempt and answers it as a *Refusal.
func (v *Verifier) refuse(ctx context.Context, method, reason string, event EventFor) error {
	failed := event(models.EventAuthFailed)
	failed.Details = map[string]any{"method": method, "reason": reason}
	if err := v.Store.AppendEvent(ctx, failed); err != nil {
		return fmt.Errorf("record the failed attempt: %w", err)
	}
	return &Refusal{Method: method, Reason: reason}
}

// Session is r's signing session of the bearer token, if it is valid now
// and was opened on r's current link.
func (v *Verifier) Session(ctx context.Context, r *models.Recipient, token string) (*models.SigningSession, bool) {
	if token == "" {
		return nil, false
	}
	session, err := v.Store.SessionByTokenHash(ctx, signinglink.Hash(token))
	if err != nil || session.RecipientID != r.ID || session.LinkGeneration != r.LinkGeneration || !v.now().Before(session.ExpiresAt) {
		return nil, false
	}
	return session, true
}

// textKind is a code text's kind in signflow_texts_total.
const textKind = "code"

// textCode texts a code to r's phone, in their language.
func (v *Verifier) textCode(ctx context.Context, r *models.Recipient, env *models.Envelope, code string) error {
	if v.SMS == nil || r.Phone == "" {
		return ErrNumberRefused
	}
	cat := locale.For(r.Locale, env.Locale)
	body := cat.T("sms.code", map[string]string{"code": code, "subject": env.Subject, "minutes": fmt.Sprint(int(CodeTTL.Minutes()))})
	err := v.SMS.Send(ctx, sms.Message{ID: models.NewID(), To: r.Phone, Body: body})
	switch {
	case errors.Is(err, sms.ErrRefused):
		v.Metrics.Text(textKind, metrics.TextRefused)
		return fmt.Errorf("%w: %w", ErrNumberRefused, err)
	case err != nil:
		v.Metrics.Text(textKind, metrics.TextFailed)
		return fmt.Errorf("text the code: %w", err)
	}
	v.Metrics.Text(textKind, metrics.TextSent)
	return nil
}

// MaskPhone shows a number's country code and last two digits only.
func MaskPhone(e164 string) string {
	if len(e164) < 6 {
		return strings.Repeat("•", len(e164))
	}
	return e164[:3] + strings.Repeat("•", len(e164)-5) + e164[len(e164)-2:]
}

// MaskEmail shows enough of an address for its owner to recognise it.
func MaskEmail(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	if len(local) > 1 {
		local = local[:1] + strings.Repeat("*", len(local)-1)
	}
	return local + "@" + domain
}
