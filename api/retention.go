package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// maxRetentionPreview bounds the preview's list.
const maxRetentionPreview = 1000

func (s *Server) getRetentionPolicy(c *gin.Context) {
	p, err := s.Store.RetentionPolicyOf(c.Request.Context(), tenantID(c))
	if err != nil {
		s.unavailable(c, "loading the retention policy", err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) putRetentionPolicy(c *gin.Context) {
	var body struct {
		CompletedDays *int `json:"completed_documents_days"`
		OtherDays     *int `json:"other_documents_days"`
	}
	if !readJSON(c, &body, `send JSON such as {"completed_documents_days": 90, "other_documents_days": 30}`) {
		return
	}
	var errs signing.FieldErrors
	if body.CompletedDays == nil {
		errs.Add("completed_documents_days", "give the days documents of completed envelopes are kept (0: always)")
	}
	if body.OtherDays == nil {
		errs.Add("other_documents_days", "give the days documents of declined, voided or expired envelopes are kept (0: always)")
	}
	if len(errs) == 0 {
		errs = signing.CheckRetentionPolicy(*body.CompletedDays, *body.OtherDays)
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	p := models.RetentionPolicy{TenantID: tenantID(c), CompletedDays: *body.CompletedDays, OtherDays: *body.OtherDays}
	if err := s.Store.SetRetentionPolicy(c.Request.Context(), p); err != nil {
		s.unavailable(c, "saving the retention policy", err)
		return
	}
	s.getRetentionPolicy(c)
}

// retentionPreview lists what the next retention runs would delete now:
// the dry run an integrator can make at any time.
func (s *Server) retentionPreview(c *gin.Context) {
	due, err := s.Store.DueForRetention(c.Request.Context(), tenantID(c), s.now(), maxRetentionPreview)
	if err != nil {
		s.unavailable(c, "listing what the retention policy lets go", err)
		return
	}
	if due == nil {
		due = []models.RetentionDue{}
	}
	c.JSON(http.StatusOK, gin.H{"due": due})
}

func (s *Server) placeLegalHold(c *gin.Context) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !readJSON(c, &body, `send JSON such as {"reason": "litigation 2026-114"}`) {
		return
	}
	if errs := signing.CheckReason(strings.TrimSpace(body.Reason), "the envelope is held"); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	s.setLegalHold(c, strings.TrimSpace(body.Reason))
}

func (s *Server) releaseLegalHold(c *gin.Context) { s.setLegalHold(c, "") }

func (s *Server) setLegalHold(c *gin.Context, reason string) {
	ev := senderEvent(c, models.EventLegalHoldPlaced)
	if reason != "" {
		ev.Details = map[string]any{"reason": reason}
	}
	env, err := s.Store.SetLegalHold(c.Request.Context(), tenantID(c), c.Param("id"), reason, ev)
	if errors.Is(err, models.ErrNotFound) {
		problem(c, http.StatusNotFound, "not-found", "No envelope with ID "+c.Param("id")+".")
		return
	}
	if err != nil {
		s.unavailable(c, "setting the legal hold", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"envelope_id": env.ID, "legal_hold": reason != "", "reason": reason, "at": s.now().UTC()})
}
