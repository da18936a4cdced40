package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

const sessionCookie = "signflow_session"

// lockedDetail tells the holder of a locked link what to do.
const lockedDetail = "This link is locked after too many failed attempts to confirm who you are. Ask the sender to send it to you again."

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
	expires, err := s.Verifier.SendCode(c.Request.Context(), r, env, eventsOf(c, r))
	switch {
	case errors.Is(err, verification.ErrNoEmailCode):
		problem(c, http.StatusConflict, "no-email-code", "You confirm who you are with the access code the sender gave you, not with an emailed code.")
	case errors.Is(err, verification.ErrTooManyCodes):
		c.Header("Retry-After", "3600")
		problem(c, http.StatusTooManyRequests, "too-many-codes", "At most "+strconv.Itoa(verification.CodesPerHour)+" codes an hour can be sent; use the last one or try again later.")
	case errors.Is(err, verification.ErrTooManyTexts):
		c.Header("Retry-After", "3600")
		problem(c, http.StatusTooManyRequests, "too-many-texts", "As many texts as an hour allows were sent for this envelope or account; use the last code or try again later.")
	case errors.Is(err, verification.ErrNumberRefused):
		s.Log.WarnContext(c.Request.Context(), "sms provider refused a recipient's number", "recipient_id", r.ID, "error", err)
		problem(c, http.StatusConflict, "number-refused", "Your phone number cannot receive the code. Ask the sender to correct it.")
	case err != nil:
		s.unavailable(c, "sending the code", err)
	default:
		c.JSON(http.StatusAccepted, gin.H{"sent_to": codeSentTo(r), "expires_at": expires.UTC()})
	}
}

// codeSentTo is where r's codes go, masked: their phone for codes by text,
// else their email address.
func codeSentTo(r *models.Recipient) string {
	if r.Authentication == models.AuthSMSOTP {
		return verification.MaskPhone(r.Phone)
	}
	return verification.MaskEmail(r.Email)
}

// startSession exchanges the recipient's codes for a signing session.
func (s *Server) startSession(c *gin.Context) {
	var body struct {
		Code       string `json:"code"`
		AccessCode string `json:"access_code"`
	}
	if !readJSON(c, &body, "send JSON such as {\"code\": \"123456\"} or {\"access_code\": \"...\"}") {
		return
	}
	r, _ := s.signer(c)
	if r == nil {
		return
	}
	creds := verification.Credentials{Code: body.Code, AccessCode: body.AccessCode}
	token, session, err := s.Verifier.StartSession(c.Request.Context(), r, creds, c.ClientIP(), eventsOf(c, r))
	var refusal *verification.Refusal
	var tooSoon *verification.TooSoonError
	switch {
	case errors.Is(err, verification.ErrNoSessionNeeded):
		problem(c, http.StatusConflict, "no-session-needed", "This link needs no verification; act on it directly.")
	case errors.Is(err, verification.ErrLinkLocked):
		problem(c, http.StatusForbidden, "link-locked", lockedDetail)
	case errors.As(err, &tooSoon):
		c.Header("Retry-After", strconv.Itoa(int(tooSoon.RetryAfter.Seconds())))
		problem(c, http.StatusTooManyRequests, "too-many-attempts",
			fmt.Sprintf("Wait %d seconds before trying again.", int(tooSoon.RetryAfter.Seconds())))
	case errors.Is(err, verification.ErrTooManyAttempts):
		c.Header("Retry-After", strconv.Itoa(int(verification.FailureWindow.Seconds())))
		problem(c, http.StatusTooManyRequests, "too-many-attempts", "Too many wrong codes from this address. Wait 15 minutes before trying again.")
	case errors.As(err, &refusal) && refusal.AttemptsLeft == 0:
		problem(c, http.StatusForbidden, "link-locked", lockedDetail)
	case errors.As(err, &refusal):
		// One answer for every factor and every reason, so that no factor
		// of several can be guessed on its own.
		c.Header("WWW-Authenticate", `Bearer realm="signflow-signing", error="invalid_grant"`)
		problem(c, http.StatusUnauthorized, "verification-failed", fmt.Sprintf(
			"We could not confirm who you are: check what you entered, or request a new code if yours has expired. "+
				"%d attempts remain before this link is locked.", refusal.AttemptsLeft))
	case err != nil:
		s.unavailable(c, "starting the session", err)
	default:
		c.SetSameSite(http.SameSiteStrictMode)
		c.SetCookie(sessionCookie, token, int(s.SessionTTL.Seconds()), "/v1/signing/", "", true, true)
		c.JSON(http.StatusOK, gin.H{"session_token": token, "expires_at": session.ExpiresAt, "auth_methods": session.Methods})
	}
}

// eventsOf makes the audit events of a recipient's request.
func eventsOf(c *gin.Context, r *models.Recipient) verification.EventFor {
	return func(eventType string) models.Event { return recipientEvent(c, r, eventType) }
}

// requireSession checks the signing session a recipient's setting asks
// for, from the Authorization bearer token or the session cookie.
func (s *Server) requireSession(c *gin.Context, r *models.Recipient) (*models.SigningSession, bool) {
	session, ok := s.session(c, r)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="signflow-signing", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "session-required",
			"Confirm who you are first: POST {link}/otp to get a code by email (or use your access code), then POST {link}/session, and send the session token as a Bearer token.")
		return nil, false
	}
	return session, true
}

// session is the verified signing session the request carries, if r's
// setting asks for one; ok is true when none is needed.
func (s *Server) session(c *gin.Context, r *models.Recipient) (session *models.SigningSession, ok bool) {
	if len(verification.Required(r)) == 0 {
		return nil, true
	}
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if token == "" {
		token, _ = c.Cookie(sessionCookie)
	}
	return s.Verifier.Session(c.Request.Context(), r, token)
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
