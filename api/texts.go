package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/notifications/sms"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// TwilioStatusPath is where Twilio reports what became of each text.
const TwilioStatusPath = "/sms/twilio/status"

// twilioStatus takes Twilio's report of a text's fate, signed with the
// account's auth token. A text Twilio could not deliver for good (status
// undelivered or failed) marks its recipient delivery_failed, as a refused
// email does; the report is told to the envelope before the text is
// marked, so a report lost halfway is acted on when Twilio sends it again.
func (s *Server) twilioStatus(c *gin.Context) {
	if s.TwilioAuthToken == "" {
		problem(c, http.StatusNotFound, "not-found", "This server does not send texts through Twilio.")
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		problem(c, http.StatusBadRequest, "bad-form", "Send the status as Twilio does: a form-encoded body.")
		return
	}
	form := c.Request.PostForm
	if !sms.TwilioSignatureValid(s.TwilioAuthToken, s.PublicURL+c.Request.URL.RequestURI(), form, c.GetHeader("X-Twilio-Signature")) {
		problem(c, http.StatusForbidden, "bad-signature", "X-Twilio-Signature does not match this request.")
		return
	}
	status := form.Get("MessageStatus")
	if !sms.TwilioUndelivered(status) {
		c.Status(http.StatusNoContent)
		return
	}
	ctx := c.Request.Context()
	n, err := s.Store.OutboxText(ctx, c.Query("id"))
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.Status(http.StatusNoContent) // a code's text, or acted on already
		return
	case err != nil:
		s.unavailable(c, "finding the text", err)
		return
	}
	reason := "the SMS provider could not deliver the " + n.Kind + " text: " + status
	if code := form.Get("ErrorCode"); code != "" {
		reason += " (error " + code + ")"
	}
	err = s.Workflows.DeliveryFailed(ctx, n.EnvelopeID, contract.DeliveryFailedRequest{RecipientID: n.RecipientID, Reason: reason})
	if err != nil && !errors.Is(err, contract.ErrRejected) && !errors.Is(err, contract.ErrNotRunning) {
		s.unavailable(c, "telling the envelope", err)
		return
	}
	if err := s.Store.MarkUndelivered(ctx, n.ID, time.Now()); err != nil {
		s.unavailable(c, "marking the text", err)
		return
	}
	c.Status(http.StatusNoContent)
}
