package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
)

const maxTemplatesListed = 200

type templateSummary struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type templateView struct {
	templateSummary
	// Version above is the one shown; Latest is the template's newest.
	Latest    int                     `json:"latest_version"`
	Subject   string                  `json:"subject"`
	Message   string                  `json:"message,omitempty"`
	Documents []templateDocumentView  `json:"documents"`
	Roles     []signing.TemplateRole  `json:"roles"`
	Fields    []signing.FieldRequest  `json:"fields"`
	Settings  signing.SettingsRequest `json:"settings"`
}

type templateDocumentView struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

func (s *Server) createTemplate(c *gin.Context) {
	req, docs, ok := s.readTemplate(c)
	if !ok {
		return
	}
	id := idempotentResource(c)
	if t, err := s.Store.GetTemplate(c.Request.Context(), tenantID(c), id); err == nil {
		s.answerTemplate(c, http.StatusCreated, t, t.Version) // a retry of the same creation
		return
	}
	version, err := s.templateVersion(c.Request.Context(), id, req, docs)
	if err != nil {
		s.unavailable(c, "saving the template", err)
		return
	}
	now := s.now().UTC()
	t := &models.Template{ID: id, TenantID: tenantID(c), Name: req.Name, Version: 1, CreatedAt: now, UpdatedAt: now}
	version.CreatedAt = now
	if err := s.Store.CreateTemplate(c.Request.Context(), t, version); err != nil {
		s.unavailable(c, "saving the template", err)
		return
	}
	c.Header("Location", "/v1/templates/"+id)
	s.answerTemplate(c, http.StatusCreated, t, 1)
}

// updateTemplate writes a new version; envelopes already sent keep theirs.
func (s *Server) updateTemplate(c *gin.Context) {
	t := s.loadTemplate(c)
	if t == nil {
		return
	}
	req, docs, ok := s.readTemplate(c)
	if !ok {
		return
	}
	version, err := s.templateVersion(c.Request.Context(), t.ID, req, docs)
	if err != nil {
		s.unavailable(c, "saving the template", err)
		return
	}
	current, err := s.Store.GetTemplateVersion(c.Request.Context(), t.TenantID, t.ID, t.Version)
	if err != nil {
		s.unavailable(c, "loading the template version", err)
		return
	}
	if current.Name == version.Name && current.Definition == version.Definition {
		// The same template again, a retry say: no new version.
		s.answerTemplate(c, http.StatusOK, t, t.Version)
		return
	}
	err = s.Store.AddTemplateVersion(c.Request.Context(), t.TenantID, t.ID, t.Version, version, s.now().UTC())
	switch {
	case errors.Is(err, models.ErrConflict):
		problem(c, http.StatusConflict, "edit-conflict", "The template was changed by another request meanwhile; read it again and resend.")
		return
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "not-found", "No template with ID "+t.ID+".")
		return
	case err != nil:
		s.unavailable(c, "saving the template", err)
		return
	}
	if t = s.loadTemplate(c); t != nil {
		s.answerTemplate(c, http.StatusOK, t, t.Version)
	}
}

func (s *Server) getTemplate(c *gin.Context) {
	t := s.loadTemplate(c)
	if t == nil {
		return
	}
	version := t.Version
	if v := c.Query("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > t.Version {
			invalid(c, signing.FieldErrors{{Field: "version", Message: fmt.Sprintf("give a version from 1 to %d", t.Version)}})
			return
		}
		version = n
	}
	s.answerTemplate(c, http.StatusOK, t, version)
}

func (s *Server) listTemplates(c *gin.Context) {
	ts, err := s.Store.ListTemplates(c.Request.Context(), tenantID(c), maxTemplatesListed)
	if err != nil {
		s.unavailable(c, "listing templates", err)
		return
	}
	out := []templateSummary{}
	for _, t := range ts {
		out = append(out, summarizeTemplate(&t, t.Version))
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

func (s *Server) deleteTemplate(c *gin.Context) {
	err := s.Store.DeleteTemplate(c.Request.Context(), tenantID(c), c.Param("id"), s.now().UTC())
	switch {
	case errors.Is(err, models.ErrNotFound):
		problem(c, http.StatusNotFound, "not-found", "No template with ID "+c.Param("id")+".")
	case err != nil:
		s.unavailable(c, "deleting the template", err)
	default:
		c.Status(http.StatusNoContent)
	}
}

func (s *Server) loadTemplate(c *gin.Context) *models.Template {
	return loadOwn(s, c, "template", s.Store.GetTemplate)
}

// readTemplate reads and checks a template body (JSON, documents as
// base64); false when it has answered.
func (s *Server) readTemplate(c *gin.Context) (signing.TemplateRequest, []signing.Upload, bool) {
	var req signing.TemplateRequest
	if !readStrictJSON(c, s.maxRequestBytes(), &req, "template") {
		return req, nil, false
	}
	docs, err := decodeDocuments(req.Documents)
	var reqErr *requestError
	if errors.As(err, &reqErr) {
		problem(c, reqErr.status, "malformed-request", reqErr.msg)
		return req, nil, false
	}
	if errs := signing.PrepareTemplate(req, docs, s.rules()); len(errs) > 0 {
		invalid(c, errs)
		return req, nil, false
	}
	return req, docs, true
}

// templateVersion stores the documents of a template version and returns
// the version to write.
func (s *Server) templateVersion(ctx context.Context, templateID string, req signing.TemplateRequest, docs []signing.Upload) (models.TemplateVersion, error) {
	stored := make([]signing.TemplateDocument, len(docs))
	for i, d := range docs {
		sum := sha256.Sum256(d.Data)
		digest := hex.EncodeToString(sum[:])
		key := blob.TemplateDocumentKey(templateID, digest)
		if err := s.Blobs.Put(ctx, key, d.Data); err != nil {
			return models.TemplateVersion{}, fmt.Errorf("store template document %d: %w", i, err)
		}
		stored[i] = signing.TemplateDocument{Name: d.Name, SHA256: digest, Key: key}
	}
	def, err := req.Definition(stored).Marshal()
	if err != nil {
		return models.TemplateVersion{}, err
	}
	return models.TemplateVersion{Name: req.Name, Definition: def}, nil
}

func (s *Server) answerTemplate(c *gin.Context, status int, t *models.Template, version int) {
	v, err := s.Store.GetTemplateVersion(c.Request.Context(), t.TenantID, t.ID, version)
	if err != nil {
		s.unavailable(c, "loading the template version", err)
		return
	}
	def, err := signing.ParseDefinition(v.Definition)
	if err != nil {
		s.unavailable(c, "reading the template version", err)
		return
	}
	view := templateView{templateSummary: summarizeTemplate(t, version), Latest: t.Version, Subject: def.Subject,
		Message: def.Message, Documents: []templateDocumentView{}, Roles: def.Roles, Fields: def.Fields, Settings: def.Settings}
	view.Name = v.Name
	for _, d := range def.Documents {
		view.Documents = append(view.Documents, templateDocumentView{Name: d.Name, SHA256: d.SHA256})
	}
	if view.Fields == nil {
		view.Fields = []signing.FieldRequest{}
	}
	c.JSON(status, view)
}

func summarizeTemplate(t *models.Template, version int) templateSummary {
	return templateSummary{ID: t.ID, Name: t.Name, Version: version, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}
