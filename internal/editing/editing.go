// Package editing lets the people who prepare documents in an
// integrator's product place a template's fields by pointing: an
// integrator's backend mints a short-lived editor session for one
// template, and the field editor it frames reads the template, draws its
// pages and saves its fields as a new version, with that session's token
// alone.
package editing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// SessionValidity is how long an editor session works: long enough to
// place a document's fields, short enough that a leaked one soon dies.
const SessionValidity = 30 * time.Minute

// ErrUnavailable is an editor session unknown or expired.
var ErrUnavailable = errors.New("this editor session is not valid; open the editor again")

// Service runs editor sessions.
type Service struct {
	Store     *database.Store
	Blobs     blob.Store
	Rules     signing.Rules
	PublicURL string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Session is a minted editor session: the page to frame, until ExpiresAt.
type Session struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Mint makes an editor session for a tenant's template, on client's
// behalf, framed by frameOrigin (one of the tenant's embedding origins) or
// by no one; models.ErrNotFound when the template is not the tenant's.
func (s *Service) Mint(ctx context.Context, tenant, templateID, client, frameOrigin string) (Session, error) {
	if _, err := s.Store.GetTemplate(ctx, tenant, templateID); err != nil {
		return Session{}, err
	}
	fragment := ""
	if frameOrigin != "" {
		settings, err := s.Store.EmbedSettingsOf(ctx, tenant)
		if err != nil {
			return Session{}, err
		}
		if !slices.Contains(strings.Fields(settings.Origins), frameOrigin) {
			return Session{}, signing.FieldErrors{{Field: "frame_origin", Message: "give one of your allowed origins (PUT /v1/embedding)"}}
		}
		fragment = "#" + url.Values{"host": {frameOrigin}}.Encode()
	}
	token := signinglink.RandomToken()
	now := s.now()
	e := &models.EditorSession{TokenHash: signinglink.Hash(token), TenantID: tenant, TemplateID: templateID, ClientID: client,
		CreatedAt: now, ExpiresAt: now.Add(SessionValidity)}
	if err := s.Store.CreateEditorSession(ctx, e); err != nil {
		return Session{}, err
	}
	return Session{URL: s.PublicURL + "/edit/" + token + fragment, ExpiresAt: e.ExpiresAt}, nil
}

// Open is the session of token, if it works now.
func (s *Service) Open(ctx context.Context, token string) (*models.EditorSession, error) {
	e, err := s.Store.EditorSessionByHash(ctx, signinglink.Hash(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUnavailable
	}
	return e, err
}

// Draft is the template as the editor shows it.
type Draft struct {
	Name      string                 `json:"name"`
	Version   int                    `json:"version"`
	Roles     []signing.TemplateRole `json:"roles"`
	Fields    []signing.FieldRequest `json:"fields"`
	Documents []DraftDocument        `json:"documents"`
	// Found are fields the documents' own text tags and form fields
	// suggest, which the template does not have yet.
	Found []signing.FieldRequest `json:"found"`
	// FieldTypes are the types a field may have.
	FieldTypes []string `json:"field_types"`
}

// DraftDocument is a document and the shape of each of its pages.
type DraftDocument struct {
	Name  string        `json:"name"`
	Pages []models.Page `json:"pages"`
}

// Load is the session's template at its newest version.
func (s *Service) Load(ctx context.Context, e *models.EditorSession) (Draft, error) {
	t, def, docs, err := s.template(ctx, e)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{Name: t.Name, Version: t.Version, Roles: def.Roles, FieldTypes: signing.FieldTypes, Found: []signing.FieldRequest{}}
	infos := make([]*pdf.Info, len(docs))
	uploads := make([]signing.Upload, len(docs))
	for i, doc := range def.Documents {
		if infos[i], err = pdf.Inspect(docs[i], s.Rules.Limits); err != nil {
			return Draft{}, fmt.Errorf("inspect template document %d: %w", i, err)
		}
		uploads[i] = signing.Upload{Name: doc.Name, Data: docs[i]}
		d.Documents = append(d.Documents, DraftDocument{Name: doc.Name, Pages: infos[i].Pages})
	}
	// Fields named after a form field are shown where it is.
	d.Fields = append([]signing.FieldRequest{}, signing.PlaceFormFields(def.Fields, infos)...)
	for _, f := range signing.FoundFields(uploads, infos) {
		if !slices.ContainsFunc(d.Fields, func(g signing.FieldRequest) bool { return samePlace(f, g) }) {
			d.Found = append(d.Found, f)
		}
	}
	return d, nil
}

// Page draws page of the session's template's document doc (from 0),
// width pixels wide.
func (s *Service) Page(ctx context.Context, e *models.EditorSession, doc, page, width int) ([]byte, error) {
	_, def, _, err := s.template(ctx, e)
	if err != nil {
		return nil, err
	}
	if doc < 0 || doc >= len(def.Documents) {
		return nil, models.ErrNotFound
	}
	data, err := blob.GetChecked(ctx, s.Blobs, def.Documents[doc].Key, def.Documents[doc].SHA256)
	if err != nil {
		return nil, fmt.Errorf("read template document %d: %w", doc, err)
	}
	info, err := pdf.Inspect(data, s.Rules.Limits)
	if err != nil {
		return nil, fmt.Errorf("inspect template document %d: %w", doc, err)
	}
	if page < 1 || page > len(info.Pages) {
		return nil, models.ErrNotFound
	}
	return pdf.RenderPage(data, page, width)
}

// Save makes fields the template's fields, as a new version, when they
// are valid for it. A save based on an older version than the newest is
// refused (models.ErrConflict): someone else edited meanwhile.
func (s *Service) Save(ctx context.Context, e *models.EditorSession, basedOn int, fields []signing.FieldRequest) (int, error) {
	t, def, docs, err := s.template(ctx, e)
	if err != nil {
		return 0, err
	}
	if basedOn != t.Version {
		return 0, models.ErrConflict
	}
	v, err := s.Store.GetTemplateVersion(ctx, e.TenantID, t.ID, t.Version)
	if err != nil {
		return 0, err
	}
	req := signing.TemplateRequest{Name: v.Name, Subject: def.Subject, Message: def.Message, Roles: def.Roles, Fields: fields, Settings: def.Settings}
	uploads := make([]signing.Upload, len(docs))
	for i, d := range def.Documents {
		uploads[i] = signing.Upload{Name: d.Name, Data: docs[i]}
	}
	if errs := signing.PrepareTemplate(req, uploads, s.Rules); len(errs) > 0 {
		return 0, errs
	}
	definition, err := req.Definition(def.Documents).Marshal()
	if err != nil {
		return 0, err
	}
	version := models.TemplateVersion{Name: v.Name, Definition: definition}
	if err := s.Store.AddTemplateVersion(ctx, e.TenantID, t.ID, t.Version, version, s.now().UTC()); err != nil {
		return 0, err
	}
	return t.Version + 1, nil
}

// samePlace says two fields are on the same page at the same spot: a
// found field the template has already.
func samePlace(a, b signing.FieldRequest) bool {
	doc := func(f signing.FieldRequest) int {
		if f.Document == nil {
			return 0
		}
		return *f.Document
	}
	near := func(x, y *float64) bool { return x != nil && y != nil && math.Abs(*x-*y) < 0.005 }
	return doc(a) == doc(b) && a.Page == b.Page && near(a.X, b.X) && near(a.Y, b.Y)
}

// template is the session's template, its newest definition and its
// documents' bytes.
func (s *Service) template(ctx context.Context, e *models.EditorSession) (*models.Template, signing.TemplateDefinition, [][]byte, error) {
	t, err := s.Store.GetTemplate(ctx, e.TenantID, e.TemplateID)
	if err != nil {
		return nil, signing.TemplateDefinition{}, nil, err
	}
	v, err := s.Store.GetTemplateVersion(ctx, e.TenantID, t.ID, t.Version)
	if err != nil {
		return nil, signing.TemplateDefinition{}, nil, err
	}
	def, err := signing.ParseDefinition(v.Definition)
	if err != nil {
		return nil, def, nil, err
	}
	docs := make([][]byte, len(def.Documents))
	for i, d := range def.Documents {
		if docs[i], err = blob.GetChecked(ctx, s.Blobs, d.Key, d.SHA256); err != nil {
			return nil, def, nil, fmt.Errorf("read template document %d: %w", i, err)
		}
	}
	return t, def, docs, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
