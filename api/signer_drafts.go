package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

// saveDraft keeps what the recipient has entered so far, in a verified
// session, so that a reload or a new session restores it. It is no
// action: the workflow and the audit trail see only the signature.
func (s *Server) saveDraft(c *gin.Context) {
	var body struct {
		Values []signing.ValueInput `json:"values"`
	}
	if !readJSON(c, &body, "send JSON such as {\"values\": [{\"field_id\": \"...\", \"text\": \"Ada Lovelace\"}]}") {
		return
	}
	r, env, _ := s.verifiedSigner(c)
	if r == nil {
		return
	}
	if errs := signing.CheckDraft(c.Request.Context(), env, r.ID, body.Values); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	plain, err := json.Marshal(body.Values)
	if err != nil {
		s.unavailable(c, "encoding the draft", err)
		return
	}
	now := s.now()
	if err := s.Store.SaveDraft(c.Request.Context(), r, plain, now); err != nil {
		s.unavailable(c, "saving the draft", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"saved_at": now.UTC(), "values": len(body.Values)})
}

// draft is what r entered before in this link, nil for nothing.
func (s *Server) draft(c *gin.Context, r *models.Recipient) ([]signing.ValueInput, error) {
	plain, err := s.Store.Draft(c.Request.Context(), r)
	if err != nil || plain == nil {
		return nil, err
	}
	var values []signing.ValueInput
	if err := json.Unmarshal(plain, &values); err != nil {
		return nil, err
	}
	return values, nil
}
