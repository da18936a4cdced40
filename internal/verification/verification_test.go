package verification_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"
	"golang.org/x/crypto/bcrypt"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/notifications/email"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// outbox keeps what the verifier sends, in place of SMTP; parallel
// requests send at once.
type outbox struct {
	mu   sync.Mutex
	sent []*mail.Msg
}

func (o *outbox) Send(_ context.Context, m *mail.Msg) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

var codeInBody = regexp.MustCompile(`is (\d{6})\.`)

// lastCode reads the code out of the last email, checking it is not in
// the subject.
func (o *outbox) lastCode(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.NotEmpty(t, o.sent)
	msg := o.sent[len(o.sent)-1]
	subject := msg.GetGenHeader(mail.HeaderSubject)
	require.NotEmpty(t, subject)
	require.NotRegexp(t, `\d{6}`, subject[0], "the code is never in the subject")
	var raw bytes.Buffer
	_, err := msg.WriteTo(&raw)
	require.NoError(t, err)
	m := codeInBody.FindStringSubmatch(raw.String())
	require.NotNil(t, m, "%s", raw.String())
	return m[1]
}

type fixture struct {
	v     *verification.Verifier
	mail  *outbox
	now   time.Time
	env   *models.Envelope
	event verification.EventFor
}

// newFixture stores an envelope with one recipient of each setting.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := database.Open(filepath.Join(t.TempDir(), "signflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	require.NoError(t, database.Migrate(store.DB))
	links, err := signinglink.Load(t.TempDir())
	require.NoError(t, err)
	// Envelopes created before keyed access codes keep a bcrypt hash.
	legacyHash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	f := &fixture{mail: &outbox{}, now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	recipient := func(id, auth string) models.Recipient {
		codeHash := signing.AccessCodeHash(links, id, "s3cret")
		if id == "legacy" {
			codeHash = string(legacyHash)
		}
		return models.Recipient{ID: id, TenantID: "t", Name: id, Email: id + "@example.com", Role: models.RoleSigner, RoutingOrder: 1,
			Status: models.RecipientNotified, TokenHash: "h-" + id, Authentication: auth, AccessCodeHash: codeHash}
	}
	f.env = &models.Envelope{ID: "env", TenantID: "t", Subject: "Contract", Status: models.EnvelopeInProgress, Version: 1, CreatedAt: f.now,
		Recipients: []models.Recipient{recipient("otp", models.AuthEmailOTP), recipient("code", models.AuthAccessCode),
			recipient("both", models.AuthBoth), recipient("none", models.AuthNone), recipient("legacy", models.AuthAccessCode)}}
	require.NoError(t, store.CreateEnvelope(context.Background(), f.env,
		models.Event{Type: models.EventEnvelopeCreated, ActorType: models.ActorAPI, Actor: "c", OccurredAt: f.now}))
	f.v = &verification.Verifier{Store: store, Links: links, Mail: f.mail, Compose: email.Composer{From: "signflow@example.com"},
		SessionTTL: 30 * time.Minute, Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) recipient(id string) *models.Recipient {
	for i := range f.env.Recipients {
		if f.env.Recipients[i].ID == id {
			return &f.env.Recipients[i]
		}
	}
	panic(id)
}

func (f *fixture) events(r *models.Recipient) verification.EventFor {
	return func(eventType string) models.Event {
		return models.Event{Key: "request:" + models.NewID(), EnvelopeID: f.env.ID, TenantID: "t", Type: eventType,
			ActorType: models.ActorRecipient, Actor: r.Email, RecipientID: r.ID, IP: "192.0.2.1", OccurredAt: f.now}
	}
}

func (f *fixture) sendCode(t *testing.T, id string) string {
	t.Helper()
	r := f.recipient(id)
	_, err := f.v.SendCode(context.Background(), r, f.env, f.events(r))
	require.NoError(t, err)
	return f.mail.lastCode(t)
}

func (f *fixture) start(id string, creds verification.Credentials) (string, error) {
	r := f.recipient(id)
	token, _, err := f.v.StartSession(context.Background(), r, creds, "192.0.2.1", f.events(r))
	return token, err
}

// patient starts a session as start does, waiting out each delay the
// link's failures impose by moving the clock.
func (f *fixture) patient(id string, creds verification.Credentials) (string, error) {
	for {
		token, err := f.start(id, creds)
		var wait *verification.TooSoonError
		if !errors.As(err, &wait) {
			return token, err
		}
		f.now = f.now.Add(wait.RetryAfter)
	}
}

func refusedFor(t *testing.T, err error, reason string) {
	t.Helper()
	var refusal *verification.Refusal
	require.True(t, errors.As(err, &refusal), "want a refusal, got %v", err)
	require.Contains(t, refusal.Reason, reason)
}

func TestSendCode(t *testing.T) {
	f := newFixture(t)
	r := f.recipient("otp")
	expires, err := f.v.SendCode(context.Background(), r, f.env, f.events(r))
	require.NoError(t, err)
	require.Equal(t, f.now.Add(verification.CodeTTL), expires)
	require.Len(t, f.mail.sent, 1)
	require.Len(t, f.mail.lastCode(t), 6)

	code := f.recipient("code")
	_, err = f.v.SendCode(context.Background(), code, f.env, f.events(code))
	require.ErrorIs(t, err, verification.ErrNoEmailCode, "an access-code recipient gets no emailed code")

	for range verification.CodesPerHour - 1 {
		f.sendCode(t, "otp")
	}
	_, err = f.v.SendCode(context.Background(), r, f.env, f.events(r))
	require.ErrorIs(t, err, verification.ErrTooManyCodes)
	f.now = f.now.Add(61 * time.Minute)
	f.sendCode(t, "otp") // the hour has passed
}

func TestStartSession(t *testing.T) {
	cases := []struct {
		name   string
		run    func(t *testing.T, f *fixture) error
		reason string // a refusal's reason; "" for success
		err    error  // or a sentinel
	}{
		{"emailed code", func(t *testing.T, f *fixture) error {
			_, err := f.start("otp", verification.Credentials{Code: f.sendCode(t, "otp")})
			return err
		}, "", nil},
		{"wrong code", func(t *testing.T, f *fixture) error {
			f.sendCode(t, "otp")
			_, err := f.start("otp", verification.Credentials{Code: "000000x"})
			return err
		}, "the code is wrong", nil},
		{"no code requested", func(t *testing.T, f *fixture) error {
			_, err := f.start("otp", verification.Credentials{Code: "123456"})
			return err
		}, "no code was requested", nil},
		{"expired code", func(t *testing.T, f *fixture) error {
			code := f.sendCode(t, "otp")
			f.now = f.now.Add(verification.CodeTTL)
			_, err := f.start("otp", verification.Credentials{Code: code})
			return err
		}, "expired", nil},
		{"code used twice", func(t *testing.T, f *fixture) error {
			code := f.sendCode(t, "otp")
			if _, err := f.start("otp", verification.Credentials{Code: code}); err != nil {
				return err
			}
			_, err := f.start("otp", verification.Credentials{Code: code})
			return err
		}, "already used", nil},
		{"code tried too often", func(t *testing.T, f *fixture) error {
			code := f.sendCode(t, "otp")
			for range 5 {
				_, _ = f.patient("otp", verification.Credentials{Code: "wrong"})
			}
			_, err := f.patient("otp", verification.Credentials{Code: code})
			return err
		}, "too many times", nil},
		{"access code", func(t *testing.T, f *fixture) error {
			_, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
			return err
		}, "", nil},
		{"wrong access code", func(t *testing.T, f *fixture) error {
			_, err := f.start("code", verification.Credentials{AccessCode: "guess"})
			return err
		}, "access code is wrong", nil},
		{"access code with a trailing space", func(t *testing.T, f *fixture) error {
			_, err := f.start("code", verification.Credentials{AccessCode: "s3cret "})
			return err
		}, "access code is wrong", nil},
		{"legacy bcrypt access code", func(t *testing.T, f *fixture) error {
			_, err := f.start("legacy", verification.Credentials{AccessCode: "s3cret"})
			return err
		}, "", nil},
		{"wrong legacy bcrypt access code", func(t *testing.T, f *fixture) error {
			_, err := f.start("legacy", verification.Credentials{AccessCode: "guess"})
			return err
		}, "access code is wrong", nil},
		{"both needs both", func(t *testing.T, f *fixture) error {
			_, err := f.start("both", verification.Credentials{Code: f.sendCode(t, "both")})
			return err
		}, "access code is wrong", nil},
		{"both with both", func(t *testing.T, f *fixture) error {
			_, err := f.start("both", verification.Credentials{Code: f.sendCode(t, "both"), AccessCode: "s3cret"})
			return err
		}, "", nil},
		{"no verification needed", func(t *testing.T, f *fixture) error {
			_, err := f.start("none", verification.Credentials{})
			return err
		}, "", verification.ErrNoSessionNeeded},
		{"the sixth failure in a row waits", func(t *testing.T, f *fixture) error {
			for range 6 {
				_, _ = f.start("code", verification.Credentials{AccessCode: "guess"})
			}
			_, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
			var wait *verification.TooSoonError
			require.ErrorAs(t, err, &wait)
			require.Equal(t, time.Second, wait.RetryAfter)
			f.now = f.now.Add(time.Second)
			_, err = f.start("code", verification.Credentials{AccessCode: "s3cret"})
			return err
		}, "", nil},
		{"the budget's failures lock the link, over days", func(t *testing.T, f *fixture) error {
			for i := range verification.FailureBudget {
				_, err := f.patient("code", verification.Credentials{AccessCode: "guess"})
				var refusal *verification.Refusal
				require.ErrorAs(t, err, &refusal)
				require.Equal(t, verification.FailureBudget-i-1, refusal.AttemptsLeft)
				f.now = f.now.Add(24 * time.Hour) // no window forgives them
			}
			_, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
			return err
		}, "", verification.ErrLinkLocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t, newFixture(t))
			switch {
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
			case tc.reason != "":
				refusedFor(t, err, tc.reason)
			default:
				require.NoError(t, err)
			}
		})
	}
}

func TestSessionsBelongToOneRecipientForTheirLifetime(t *testing.T) {
	f := newFixture(t)
	token, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
	require.NoError(t, err)
	ctx := context.Background()
	session, ok := f.v.Session(ctx, f.recipient("code"), token)
	require.True(t, ok)
	require.Equal(t, []string{models.AuthAccessCode}, session.Methods)
	_, ok = f.v.Session(ctx, f.recipient("otp"), token)
	require.False(t, ok, "another recipient's session does not count")
	_, ok = f.v.Session(ctx, f.recipient("code"), "")
	require.False(t, ok)
	f.now = f.now.Add(30 * time.Minute)
	_, ok = f.v.Session(ctx, f.recipient("code"), token)
	require.False(t, ok, "the session has expired")
}

func TestMaskEmail(t *testing.T) {
	require.Equal(t, "a**@example.com", verification.MaskEmail("ada@example.com"))
	require.Equal(t, "a@example.com", verification.MaskEmail("a@example.com"))
}

// parallel runs n calls at once and counts their outcomes.
func parallel(n int, call func() error) (ok, refused, limited int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := call()
			var refusal *verification.Refusal
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &refusal):
				refused++
			case errors.Is(err, verification.ErrTooManyAttempts), errors.Is(err, verification.ErrTooManyCodes):
				limited++
			}
		}()
	}
	wg.Wait()
	return ok, refused, limited
}

// rounds runs parallel rounds of n calls, moving the clock past the
// longest delay between them, until a round is all locked out or rounds
// run out; it answers the refusals.
func rounds(t *testing.T, f *fixture, n int, call func() error) (refused int) {
	t.Helper()
	for range 20 {
		_, r, _ := parallel(n, call)
		refused += r
		if err := call(); errors.Is(err, verification.ErrLinkLocked) {
			return refused
		}
		f.now = f.now.Add(5 * time.Minute)
	}
	return refused
}

func TestLimitsHoldAgainstParallelAttempts(t *testing.T) {
	f := newFixture(t)
	_, refused, _ := parallel(30, func() error {
		_, err := f.start("code", verification.Credentials{AccessCode: "guess"})
		return err
	})
	require.Equal(t, 6, refused, "five typos are free, then failures wait their turn")
	refused += rounds(t, f, 30, func() error {
		_, err := f.start("code", verification.Credentials{AccessCode: "guess"})
		return err
	})
	require.Equal(t, verification.FailureBudget, refused, "however many arrive at once, the budget is all that is tried")
	_, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
	require.ErrorIs(t, err, verification.ErrLinkLocked, "even the right code is refused")
	guard, err := f.v.Guard(context.Background(), f.recipient("code"))
	require.NoError(t, err)
	require.Equal(t, verification.GuardState{Locked: true}, guard)
	f.recipient("code").LinkGeneration++ // the sender resends
	_, err = f.start("code", verification.Credentials{AccessCode: "s3cret"})
	require.NoError(t, err, "a new link opens again")

	f = newFixture(t)
	sent, _, limited := parallel(12, func() error {
		r := f.recipient("otp")
		_, err := f.v.SendCode(context.Background(), r, f.env, f.events(r))
		return err
	})
	require.Equal(t, verification.CodesPerHour, sent)
	require.Equal(t, 12-verification.CodesPerHour, limited)
}

func TestOneAddressGuessesAtMostThirtyTimesAWindow(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"code", "legacy", "both"} {
		for range verification.FailureBudget {
			_, err := f.patient(id, verification.Credentials{Code: "000000", AccessCode: "guess"})
			var refusal *verification.Refusal
			require.ErrorAs(t, err, &refusal)
		}
	}
	_, err := f.start("otp", verification.Credentials{Code: "000000"})
	require.ErrorIs(t, err, verification.ErrTooManyAttempts, "the address has spent its window on other links")
}

func TestACodeIsTriedAtMostFiveTimesInParallel(t *testing.T) {
	f := newFixture(t)
	code := f.sendCode(t, "both") // wrong access code: every try of the code is spent, then refused
	var wrong, exhausted int
	var mu sync.Mutex
	for wrong+exhausted < 8 {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.start("both", verification.Credentials{Code: "000000", AccessCode: "s3cret"})
				var refusal *verification.Refusal
				if errors.As(err, &refusal) {
					mu.Lock()
					defer mu.Unlock()
					if strings.Contains(refusal.Reason, "too many times") {
						exhausted++
					} else {
						wrong++
					}
				}
			}()
		}
		wg.Wait()
		f.now = f.now.Add(time.Minute)
	}
	require.Equal(t, 5, wrong, "five tries of the code, however many arrive at once")
	require.Equal(t, 3, exhausted)
	_, err := f.patient("both", verification.Credentials{Code: code, AccessCode: "s3cret"})
	refusedFor(t, err, "too many times")
}

func TestANewLinkEndsTheOldSessionAndCode(t *testing.T) {
	f := newFixture(t)
	token, err := f.start("code", verification.Credentials{AccessCode: "s3cret"})
	require.NoError(t, err)
	code := f.sendCode(t, "otp")

	f.recipient("code").LinkGeneration++ // resent or corrected
	f.recipient("otp").LinkGeneration++
	_, ok := f.v.Session(context.Background(), f.recipient("code"), token)
	require.False(t, ok, "a session opened on the old link ends with it")
	_, err = f.start("otp", verification.Credentials{Code: code})
	refusedFor(t, err, "no code was requested for this link")

	token, err = f.start("code", verification.Credentials{AccessCode: "s3cret"})
	require.NoError(t, err, "the new link opens a session")
	_, ok = f.v.Session(context.Background(), f.recipient("code"), token)
	require.True(t, ok)
}
