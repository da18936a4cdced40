package api

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/wneessen/go-mail"
	"golang.org/x/crypto/bcrypt"

	"github.com/signflow/signflow/internal/signinglink"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// Second-factor rules.
const (
	otpTTL           = 10 * time.Minute
	otpMaxTries      = 5
	otpMaxPerHour    = 5
	failureWindow    = 15 * time.Minute
	maxFailuresToken = 10
	maxFailuresIP    = 30
	sessionCookie    = "signflow_session"
)

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// requestCode emails a 6-digit code to the recipient's address.
func (s *Server) requestCode(c *gin.Context) {
	r, env := s.signer(c)
	if r == nil {
		return
	}
	if !slices.Contains(models.Methods(r.Authentication), models.AuthEmailOTP) {
		problem(c, http.StatusConflict, "no-email-code", "You confirm who you are with the access code the sender gave you, not with an emailed code.")
		return
	}
	ctx, now := c.Request.Context(), s.now()
	issued, err := s.Store.OTPsSince(ctx, r.ID, now.Add(-time.Hour))
	if err != nil {
		s.unavailable(c, "checking codes", err)
		return
	}
	if issued >= otpMaxPerHour {
		c.Header("Retry-After", "3600")
		problem(c, http.StatusTooManyRequests, "too-many-codes", fmt.Sprintf("At most %d codes an hour can be sent; use the last one or try again later.", otpMaxPerHour))
		return
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	code := fmt.Sprintf("%06d", n.Int64())
	err = s.Store.CreateOTP(ctx, models.OTPCode{ID: newID(), TenantID: r.TenantID, RecipientID: r.ID, CodeHash: s.Links.Digest("otp:"+r.ID, code),
		ExpiresAt: now.Add(otpTTL), CreatedAt: now})
	if err == nil {
		err = s.mailCode(c, r, env, code)
	}
	if err == nil {
		err = s.Store.AppendEvent(ctx, recipientEvent(c, r, models.EventOTPSent))
	}
	if err != nil {
		s.unavailable(c, "sending the code", err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"sent_to": maskEmail(r.Email), "expires_at": now.Add(otpTTL).UTC()})
}

func (s *Server) mailCode(c *gin.Context, r *models.Recipient, env *models.Envelope, code string) error {
	msg := mail.NewMsg()
	if err := msg.From(s.Mail.From); err != nil {
		return fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(r.Email); err != nil {
		return fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject("Your signing code: " + code)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, fmt.Sprintf("Hello %s,\n\nYour code to sign \"%s\" is %s.\nIt works once, for %d minutes. If you did not ask for it, ignore this email.\n\n-- Signflow\n",
		r.Name, env.Subject, code, int(otpTTL.Minutes())))
	return s.Mail.Send(c.Request.Context(), msg)
}

func maskEmail(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	if len(local) > 1 {
		local = local[:1] + strings.Repeat("*", len(local)-1)
	}
	return local + "@" + domain
}

// startSession exchanges the recipient's codes for a signing session.
func (s *Server) startSession(c *gin.Context) {
	var body struct {
		Code       string `json:"code"`
		AccessCode string `json:"access_code"`
	}
	if err := c.ShouldBindJSON(&body); err != nil {
		problem(c, http.StatusBadRequest, "malformed-request", "send JSON such as {\"code\": \"123456\"} or {\"access_code\": \"...\"}")
		return
	}
	r, _ := s.signer(c)
	if r == nil {
		return
	}
	methods := models.Methods(r.Authentication)
	if len(methods) == 0 {
		problem(c, http.StatusConflict, "no-session-needed", "This link needs no verification; act on it directly.")
		return
	}
	ctx, now := c.Request.Context(), s.now()
	forRecipient, fromIP, err := s.Store.FailuresSince(ctx, r.ID, c.ClientIP(), now.Add(-failureWindow))
	if err != nil {
		s.unavailable(c, "checking attempts", err)
		return
	}
	if forRecipient >= maxFailuresToken || fromIP >= maxFailuresIP {
		c.Header("Retry-After", strconv.Itoa(int(failureWindow.Seconds())))
		problem(c, http.StatusTooManyRequests, "too-many-attempts", "Too many wrong codes. Wait 15 minutes before trying again.")
		return
	}
	var otp *models.OTPCode
	for _, m := range methods {
		var reason string
		switch m {
		case models.AuthEmailOTP:
			otp, reason = s.checkOTP(c, r, body.Code, now)
		case models.AuthAccessCode:
			if bcrypt.CompareHashAndPassword([]byte(r.AccessCodeHash), []byte(body.AccessCode)) != nil {
				reason = "the access code is wrong"
			}
		}
		if reason != "" {
			s.refuse(c, r, m, reason)
			return
		}
	}
	if otp != nil {
		if spent, err := s.Store.UseOTP(ctx, otp.ID, now); err != nil || !spent {
			s.refuse(c, r, models.AuthEmailOTP, "the code was already used")
			return
		}
	}
	token := randomToken()
	session := models.SigningSession{ID: newID(), TenantID: r.TenantID, RecipientID: r.ID, TokenHash: signinglink.Hash(token), Methods: methods,
		VerifiedAt: now.UTC(), ExpiresAt: now.Add(s.SessionTTL).UTC(), CreatedAt: now}
	started := recipientEvent(c, r, models.EventSessionStarted)
	started.Details = map[string]any{"session_id": session.ID, "auth_methods": methods}
	err = s.Store.CreateSession(ctx, session)
	if err == nil {
		err = s.Store.AppendEvent(ctx, started)
	}
	if err != nil {
		s.unavailable(c, "starting the session", err)
		return
	}
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(sessionCookie, token, int(s.SessionTTL.Seconds()), "/v1/signing/", "", true, true)
	c.JSON(http.StatusOK, gin.H{"session_token": token, "expires_at": session.ExpiresAt, "auth_methods": methods})
}

// checkOTP compares the code in constant time; it returns the code record
// when it matches, or why not.
func (s *Server) checkOTP(c *gin.Context, r *models.Recipient, given string, now time.Time) (*models.OTPCode, string) {
	otp, err := s.Store.LatestOTP(c.Request.Context(), r.ID)
	switch {
	case err != nil:
		return nil, "no code was requested; request one first"
	case otp.UsedAt != nil:
		return nil, "the code was already used; request a new one"
	case otp.Attempts >= otpMaxTries:
		return nil, "the code was tried too many times; request a new one"
	case !now.Before(otp.ExpiresAt):
		return nil, "the code has expired; request a new one"
	}
	if !hmac.Equal([]byte(s.Links.Digest("otp:"+r.ID, given)), []byte(otp.CodeHash)) {
		_ = s.Store.FailOTP(c.Request.Context(), otp.ID)
		return nil, "the code is wrong"
	}
	return otp, ""
}

// refuse records a failed attempt and answers 401.
func (s *Server) refuse(c *gin.Context, r *models.Recipient, method, reason string) {
	failed := recipientEvent(c, r, models.EventAuthFailed)
	failed.Details = map[string]any{"method": method, "reason": reason}
	if err := s.Store.AppendEvent(c.Request.Context(), failed); err != nil {
		s.unavailable(c, "recording the attempt", err)
		return
	}
	c.Header("WWW-Authenticate", `Bearer realm="signflow-signing", error="invalid_grant"`)
	problem(c, http.StatusUnauthorized, "verification-failed", "Verification failed: "+reason+".")
}

// requireSession checks the signing session a recipient's setting asks
// for, from the Authorization bearer token or the session cookie.
func (s *Server) requireSession(c *gin.Context, r *models.Recipient) (*models.SigningSession, bool) {
	if len(models.Methods(r.Authentication)) == 0 {
		return nil, true
	}
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if token == "" {
		token, _ = c.Cookie(sessionCookie)
	}
	var session *models.SigningSession
	if token != "" {
		session, _ = s.Store.SessionByTokenHash(c.Request.Context(), signinglink.Hash(token))
	}
	if session == nil || session.RecipientID != r.ID || !s.now().Before(session.ExpiresAt) {
		c.Header("WWW-Authenticate", `Bearer realm="signflow-signing", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "session-required",
			"Confirm who you are first: POST {link}/otp to get a code by email (or use your access code), then POST {link}/session, and send the session token as a Bearer token.")
		return nil, false
	}
	return session, true
}

// sessionOrigin is where a recipient's request came from, with the
// verified session it came in.
func sessionOrigin(c *gin.Context, session *models.SigningSession) (o contract.Origin) {
	o = requestOrigin(c)
	if session != nil {
		o.SessionID, o.AuthMethods, o.VerifiedAt = session.ID, session.Methods, &session.VerifiedAt
	}
	return o
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
