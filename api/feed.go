package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
)

const (
	defaultFeedLimit = 100
	maxFeedLimit     = 1000
)

type feedEvent struct {
	ID              string    `json:"id"`
	Cursor          string    `json:"cursor"`
	Type            string    `json:"type"`
	EnvelopeID      string    `json:"envelope_id"`
	Seq             int64     `json:"seq"`
	RecipientID     string    `json:"recipient_id,omitempty"`
	EnvelopeStatus  string    `json:"envelope_status"`
	EnvelopeVersion int64     `json:"envelope_version"`
	OccurredAt      time.Time `json:"occurred_at"`
}

// events is the tenant's events feed: every integrator-facing event in one
// order, so a consumer that missed deliveries catches up from its cursor.
func (s *Server) events(c *gin.Context) {
	var errs signing.FieldErrors
	var after int64
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs.Add("after", "pass back a cursor this feed returned, or leave it out to start from the beginning")
		}
		after = n
	}
	limit := defaultFeedLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFeedLimit {
			errs.Add("limit", "give a number from 1 to %d", maxFeedLimit)
		}
		limit = n
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	entries, err := s.Store.Feed(c.Request.Context(), tenantID(c), after, c.Query("envelope"), limit)
	if err != nil {
		s.unavailable(c, "reading the events feed", err)
		return
	}
	out := struct {
		Events     []feedEvent `json:"events"`
		NextCursor string      `json:"next_cursor"`
	}{Events: []feedEvent{}, NextCursor: strconv.FormatInt(after, 10)}
	for _, e := range entries {
		cursor := strconv.FormatInt(e.ID, 10)
		out.Events = append(out.Events, feedEvent{ID: e.EventID, Cursor: cursor, Type: e.Type, EnvelopeID: e.EnvelopeID,
			Seq: e.Seq, RecipientID: e.RecipientID, EnvelopeStatus: e.EnvelopeStatus, EnvelopeVersion: e.EnvelopeVersion,
			OccurredAt: e.OccurredAt.UTC()})
		out.NextCursor = cursor
	}
	c.JSON(http.StatusOK, out)
}
