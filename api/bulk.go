package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/bulk"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// maxBulkBody bounds a bulk send's body: 10,000 rows of people and values.
const maxBulkBody = 32 << 20

const (
	defaultRowsListed = 100
	maxRowsListed     = 1000
)

type bulkView struct {
	ID              string         `json:"id"`
	TemplateID      string         `json:"template_id"`
	TemplateVersion int            `json:"template_version"`
	Status          string         `json:"status"`
	Rows            int            `json:"rows"`
	Counts          map[string]int `json:"counts"`
	CreatedAt       time.Time      `json:"created_at"`
	EndedAt         *time.Time     `json:"ended_at,omitempty"`
}

type bulkRowView struct {
	Row        int                 `json:"row"`
	Status     string              `json:"status"`
	EnvelopeID string              `json:"envelope_id,omitempty"`
	Errors     signing.FieldErrors `json:"errors,omitempty"`
}

// createBulkSend stores the rows and starts the workflow that sends them.
// With an Idempotency-Key a retry after a crash finds the same bulk send.
func (s *Server) createBulkSend(c *gin.Context) {
	req, ok := s.readBulk(c)
	if !ok {
		return
	}
	ctx, tenant := c.Request.Context(), tenantID(c)
	t, err := s.Store.GetTemplate(ctx, tenant, req.TemplateID)
	if errors.Is(err, models.ErrNotFound) {
		invalid(c, signing.FieldErrors{{Field: "template_id", Message: "no template with ID " + req.TemplateID}})
		return
	}
	if err != nil {
		s.unavailable(c, "loading the template", err)
		return
	}
	version := req.TemplateVersion
	if version == 0 {
		version = t.Version
	}
	if version < 1 || version > t.Version {
		invalid(c, signing.FieldErrors{{Field: "template_version", Message: fmt.Sprintf("give a version from 1 to %d", t.Version)}})
		return
	}
	id := idempotentResource(c)
	b, err := s.Store.GetBulkSend(ctx, tenant, id)
	if errors.Is(err, models.ErrNotFound) {
		b, err = s.storeBulkSend(c, id, t.ID, version, req.Rows)
	}
	if err != nil {
		s.unavailable(c, "saving the bulk send", err)
		return
	}
	if err := s.Workflows.StartBulkSend(ctx, contract.BulkSendInput{BulkID: b.ID, TenantID: tenant, Rows: b.Rows}); err != nil {
		s.unavailable(c, "starting the bulk send", err)
		return
	}
	c.Header("Location", "/v1/bulk-sends/"+b.ID)
	s.answerBulk(c, http.StatusAccepted, b)
}

func (s *Server) storeBulkSend(c *gin.Context, id, templateID string, version int, rows []bulk.Row) (*models.BulkSend, error) {
	now := s.now().UTC()
	b := &models.BulkSend{ID: id, TenantID: tenantID(c), TemplateID: templateID, TemplateVersion: version,
		CreatedBy: principal(c).ClientID, Status: models.BulkRunning, Rows: len(rows), CreatedAt: now}
	stored := make([]models.BulkRow, len(rows))
	for i, r := range rows {
		input, err := json.Marshal(r.Envelope())
		if err != nil {
			return nil, fmt.Errorf("encode row %d: %w", i, err)
		}
		stored[i] = models.BulkRow{BulkID: id, Position: i, Input: string(input), Status: models.RowPending,
			EnvelopeID: models.NewID(), UpdatedAt: now}
	}
	if err := s.Store.CreateBulkSend(c.Request.Context(), b, stored); err != nil {
		return nil, err
	}
	return b, nil
}

// readBulk reads a bulk send as JSON, or as CSV with the template in the
// query; false when it has answered.
func (s *Server) readBulk(c *gin.Context) (bulk.Request, bool) {
	var req bulk.Request
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mediaType {
	case "application/json":
		if !readStrictJSON(c, maxBulkBody, &req, "bulk send") {
			return req, false
		}
	case "text/csv":
		req.TemplateID = c.Query("template_id")
		if v := c.Query("template_version"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				invalid(c, signing.FieldErrors{{Field: "template_version", Message: "give a version number from 1"}})
				return req, false
			}
			req.TemplateVersion = n
		}
		rows, errs, err := bulk.ParseCSV(http.MaxBytesReader(c.Writer, c.Request.Body, maxBulkBody))
		if err != nil {
			bodyProblem(c, err, "send the rows as CSV whose first line names the columns")
			return req, false
		}
		if len(errs) > 0 {
			invalid(c, errs)
			return req, false
		}
		req.Rows = rows
	default:
		problem(c, http.StatusUnsupportedMediaType, "unsupported-media-type",
			"send application/json with rows, or text/csv with ?template_id=")
		return req, false
	}
	if errs := bulk.Check(req); len(errs) > 0 {
		invalid(c, errs)
		return req, false
	}
	return req, true
}

func (s *Server) getBulkSend(c *gin.Context) {
	if b := s.loadBulkSend(c); b != nil {
		s.answerBulk(c, http.StatusOK, b)
	}
}

func (s *Server) bulkRows(c *gin.Context) {
	b := s.loadBulkSend(c)
	if b == nil {
		return
	}
	var errs signing.FieldErrors
	status := c.Query("status")
	if status != "" && !slices.Contains(models.RowStatuses, status) {
		errs.Add("status", "must be one of %s", strings.Join(models.RowStatuses, ", "))
	}
	after, limit := -1, defaultRowsListed
	if v := c.Query("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs.Add("after", "pass back a next_cursor this list returned")
		}
		after = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRowsListed {
			errs.Add("limit", "give a number from 1 to %d", maxRowsListed)
		}
		limit = n
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	rows, err := s.Store.BulkRows(c.Request.Context(), b.ID, status, after, limit)
	if err != nil {
		s.unavailable(c, "listing the rows", err)
		return
	}
	out := struct {
		Data       []bulkRowView `json:"data"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}{Data: []bulkRowView{}}
	for _, r := range rows {
		v := bulkRowView{Row: r.Position, Status: r.Status}
		if r.Status == models.RowCreated {
			v.EnvelopeID = r.EnvelopeID
		}
		if r.Problems != "" {
			_ = json.Unmarshal([]byte(r.Problems), &v.Errors)
		}
		out.Data = append(out.Data, v)
	}
	if len(rows) == limit {
		out.NextCursor = strconv.Itoa(rows[len(rows)-1].Position)
	}
	c.JSON(http.StatusOK, out)
}

// controlBulkSend pauses, resumes or cancels a running bulk send.
func (s *Server) controlBulkSend(update string) gin.HandlerFunc {
	return func(c *gin.Context) {
		b := s.loadBulkSend(c)
		if b == nil {
			return
		}
		err := s.Workflows.ControlBulkSend(c.Request.Context(), b.ID, update)
		var rejection *contract.Rejection
		switch {
		case errors.As(err, &rejection):
			problem(c, http.StatusConflict, "bulk-send-state", strings.ToUpper(rejection.Reason[:1])+rejection.Reason[1:]+".")
		case errors.Is(err, contract.ErrNotRunning):
			problem(c, http.StatusConflict, "bulk-send-ended", "The bulk send has ended.")
		case err != nil:
			s.unavailable(c, "reaching the bulk send", err)
		default:
			if b = s.loadBulkSend(c); b != nil {
				s.answerBulk(c, http.StatusOK, b)
			}
		}
	}
}

func (s *Server) loadBulkSend(c *gin.Context) *models.BulkSend {
	return loadOwn(s, c, "bulk send", s.Store.GetBulkSend)
}

// answerBulk shows a bulk send with its rows counted; while it runs, its
// workflow says whether it is paused.
func (s *Server) answerBulk(c *gin.Context, status int, b *models.BulkSend) {
	counts, err := s.Store.BulkCounts(c.Request.Context(), b.ID)
	if err != nil {
		s.unavailable(c, "counting the rows", err)
		return
	}
	v := bulkView{ID: b.ID, TemplateID: b.TemplateID, TemplateVersion: b.TemplateVersion, Status: b.Status, Rows: b.Rows,
		Counts: counts, CreatedAt: b.CreatedAt.UTC(), EndedAt: b.EndedAt}
	if b.Status == models.BulkRunning {
		if p, err := s.Workflows.BulkSendProgress(c.Request.Context(), b.ID); err == nil {
			v.Status = p.State
		}
	}
	c.JSON(status, v)
}
