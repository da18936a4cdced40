package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/models"
)

type auditView struct {
	EnvelopeID string         `json:"envelope_id"`
	Events     []models.Event `json:"events"`
}

type verifyView struct {
	EnvelopeID   string             `json:"envelope_id"`
	Valid        bool               `json:"valid"`
	Events       int                `json:"events"`
	FirstInvalid *models.ChainBreak `json:"first_invalid,omitempty"`
	Explanation  string             `json:"explanation"`
}

func (s *Server) envelopeEvents(c *gin.Context) (*models.Envelope, []models.Event) {
	env := s.loadEnvelope(c)
	if env == nil {
		return nil, nil
	}
	events, err := s.Store.Events(c.Request.Context(), env.ID)
	if err != nil {
		s.unavailable(c, "loading the audit trail", err)
		return nil, nil
	}
	return env, events
}

func (s *Server) auditTrail(c *gin.Context) {
	if env, events := s.envelopeEvents(c); env != nil {
		c.JSON(http.StatusOK, auditView{EnvelopeID: env.ID, Events: events})
	}
}

// verifyAudit recomputes the envelope's hash chain from the stored events.
func (s *Server) verifyAudit(c *gin.Context) {
	env, events := s.envelopeEvents(c)
	if env == nil {
		return
	}
	v := verifyView{EnvelopeID: env.ID, Events: len(events), FirstInvalid: models.VerifyChain(env.ID, events)}
	v.Valid = v.FirstInvalid == nil
	if v.Valid {
		v.Explanation = "Every event matches its hash and follows the one before it: the audit trail is complete and unchanged."
	} else {
		v.Explanation = "The audit trail was altered at or before event " + strconv.FormatInt(v.FirstInvalid.Seq, 10) + ": " + v.FirstInvalid.Reason + "."
	}
	c.JSON(http.StatusOK, v)
}
