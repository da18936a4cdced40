package signing

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/internal/email"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/internal/signinglink"
	"github.com/signflow/signflow/models"
)

// Second-factor rules.
const (
	// CodeTTL is how long an emailed code works.
	CodeTTL = 10 * time.Minute
	// CodesPerHour is how many codes a recipient may be sent in an hour.
	CodesPerHour = 5
	// FailureWindow is how long wrong codes count against a recipient or IP.
	FailureWindow    = 15 * time.Minute
	codeMaxTries     = 5
	maxFailuresToken = 10
	maxFailuresIP    = 30
)

var (
	// ErrNoEmailCode: the recipient confirms with an access code only.
	ErrNoEmailCode = errors.New("the recipient confirms with an access code, not an emailed code")
	// ErrTooManyCodes: CodesPerHour were sent in the last hour.
	ErrTooManyCodes = errors.New("too many codes were sent in the last hour")
	// ErrNoSessionNeeded: the recipient's link needs no verification.
	ErrNoSessionNeeded = errors.New("the link needs no verification")
	// ErrTooManyAttempts: too many wrong codes in FailureWindow.
	ErrTooManyAttempts = errors.New("too many wrong codes")
)

// Refusal is a verification that failed and was audited: the method that
// failed and why, in words for the recipient.
type Refusal struct{ Method, Reason string }

func (r *Refusal) Error() string { return "verification failed: " + r.Reason }

// Sender delivers a composed email; internal/mailer.SMTP is Signflow's.
type Sender interface {
	Send(ctx context.Context, msg *mail.Msg) error
}

// Verifier lets recipients prove who they are: it emails one-time codes,
// checks them and access codes, and starts signing sessions.
type Verifier struct {
	Store      *models.Store
	Links      *signinglink.Minter
	Mail       Sender
	Compose    email.Composer
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
func codesBucket(recipientID string) string    { return "codes:" + recipientID }
func failuresBucket(recipientID string) string { return "failures:" + recipientID }
func addressBucket(ip string) string           { return "failures-from:" + ip }

// SendCode emails r a new 6-digit code and records that it was sent; it
// answers when the code expires.
func (v *Verifier) SendCode(ctx context.Context, r *models.Recipient, env *models.Envelope, event EventFor) (time.Time, error) {
	if !slices.Contains(models.Methods(r.Authentication), models.AuthEmailOTP) {
		return time.Time{}, ErrNoEmailCode
	}
	now := v.now()
	issued, err := v.Store.Hit(ctx, codesBucket(r.ID), time.Hour, now)
	if err != nil {
		return time.Time{}, err
	}
	if issued > CodesPerHour {
		return time.Time{}, ErrTooManyCodes
	}
	expires, err := v.sendCode(ctx, r, env, now)
	if err != nil {
		// A code that never left does not count against the recipient.
		if unhit := v.Store.Unhit(context.WithoutCancel(ctx), codesBucket(r.ID)); unhit != nil {
			err = errors.Join(err, unhit)
		}
		return time.Time{}, err
	}
	return expires, v.Store.AppendEvent(ctx, event(models.EventOTPSent))
}

// sendCode draws a code, stores its digest and emails it.
func (v *Verifier) sendCode(ctx context.Context, r *models.Recipient, env *models.Envelope, now time.Time) (time.Time, error) {
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
	msg, err := v.Compose.SigningCode(r.Email, r.Name, env.Subject, code, locale.For(r.Locale, env.Locale).Tag, CodeTTL)
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
func (v *Verifier) StartSession(ctx context.Context, r *models.Recipient, creds Credentials, ip string, event EventFor) (string, *models.SigningSession, error) {
	methods := models.Methods(r.Authentication)
	if len(methods) == 0 {
		return "", nil, ErrNoSessionNeeded
	}
	now := v.now()
	// Each attempt is counted before it is checked, in one statement per
	// counter: of parallel wrong attempts, no more than the limit are
	// tried. An attempt that is right, or is not tried, is taken back.
	buckets := []string{failuresBucket(r.ID), addressBucket(ip)}
	limits := []int{maxFailuresToken, maxFailuresIP}
	counted := 0
	refund := func() error {
		var errs []error
		for _, b := range buckets[:counted] {
			errs = append(errs, v.Store.Unhit(context.WithoutCancel(ctx), b))
		}
		return errors.Join(errs...)
	}
	for i, b := range buckets {
		hits, err := v.Store.Hit(ctx, b, FailureWindow, now)
		if err != nil {
			return "", nil, errors.Join(err, refund())
		}
		counted++
		if hits > limits[i] {
			return "", nil, errors.Join(ErrTooManyAttempts, refund())
		}
	}
	token, session, err := v.verify(ctx, r, methods, creds, now, event)
	var refusal *Refusal
	if !errors.As(err, &refusal) {
		err = errors.Join(err, refund())
	}
	return token, session, err
}

// verify checks the credentials and starts the session.
func (v *Verifier) verify(ctx context.Context, r *models.Recipient, methods []string, creds Credentials, now time.Time, event EventFor) (string, *models.SigningSession, error) {
	var otp *models.OTPCode
	for _, m := range methods {
		var reason string
		switch m {
		case models.AuthEmailOTP:
			otp, reason = v.checkCode(ctx, r, creds.Code, now)
		case models.AuthAccessCode:
			if !accessCodeMatches(v.Links, r.ID, r.AccessCodeHash, creds.AccessCode) {
				reason = "the access code is wrong"
			}
		}
		if reason != "" {
			return "", nil, v.refuse(ctx, m, reason, event)
		}
	}
	if otp != nil {
		if spent, err := v.Store.UseOTP(ctx, otp.ID, now); err != nil || !spent {
			return "", nil, v.refuse(ctx, models.AuthEmailOTP, "the code was already used", event)
		}
	}
	token := randomToken()
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

// MaskEmail shows enough of an address for its owner to recognise it.
func MaskEmail(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	if len(local) > 1 {
		local = local[:1] + strings.Repeat("*", len(local)-1)
	}
	return local + "@" + domain
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
