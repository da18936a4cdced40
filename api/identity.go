package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
)

// identityCheckView is a recorded identity check.
type identityCheckView struct {
	RecipientID string `json:"recipient_id"`
	verification.IdentityCheck
	RecordedAt time.Time `json:"recorded_at"`
}

// recordIdentityCheck keeps what the integrator's identity-verification
// provider found of a recipient; one whose sender required a check signs
// once the latest recorded check passed.
func (s *Server) recordIdentityCheck(c *gin.Context) {
	var body verification.IdentityCheck
	if !readJSON(c, &body, `send JSON such as {"provider": "Onfido", "method": "document+selfie", "reference": "chk_123", "result": "passed"}`) {
		return
	}
	if errs := body.Check(time.Now()); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	env, rid := s.envelopeRecipient(c)
	if env == nil {
		return
	}
	r := &env.Recipients[slices.IndexFunc(env.Recipients, func(r models.Recipient) bool { return r.ID == rid })]
	ev, err := s.Verifier.RecordIdentityCheck(c.Request.Context(), env, r, body, senderEvent(c, models.EventIdentityVerified))
	switch {
	case errors.Is(err, verification.ErrIdentityClosed):
		problem(c, http.StatusConflict, "identity-closed", "The recipient has acted or the envelope has ended: there is nothing left to confirm.")
	case err != nil:
		s.unavailable(c, "recording the identity check", err)
	default:
		if body.CheckedAt == nil {
			body.CheckedAt = &ev.OccurredAt
		}
		c.JSON(http.StatusCreated, identityCheckView{RecipientID: rid, IdentityCheck: body, RecordedAt: ev.OccurredAt})
	}
}
