// Package embedding puts signing inside an integrator's product: the
// origins a tenant lets frame its signing page, and embedded sessions, a
// one-time URL an integrator's backend mints for a recipient it has
// authenticated itself, which opens the signing page with the
// integrator's word recorded in the audit trail.
package embedding

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// MaxOrigins bounds a tenant's list.
const MaxOrigins = 20

// Origins parses a tenant's list: each origin alone (scheme, host, port),
// https, or http on a loopback host for development.
func Origins(list []string) ([]string, signing.FieldErrors) {
	var errs signing.FieldErrors
	if len(list) > MaxOrigins {
		errs.Add("frame_origins", "at most %d origins", MaxOrigins)
		return nil, errs
	}
	out := make([]string, 0, len(list))
	for i, o := range list {
		origin, ok := origin(o)
		if !ok {
			errs.Add(fmt.Sprintf("frame_origins[%d]", i), "give an origin alone, such as https://app.example.com (http only for localhost)")
			continue
		}
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	return out, errs
}

// origin is s as an origin, if it is one.
func origin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || len(s) > 300 {
		return "", false
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// originOf is the origin of a URL, if it has one Origins accepts.
func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	return origin(u.Scheme + "://" + u.Host)
}

// Request is what an integrator's backend asks an embedded session for.
type Request struct {
	// AuthenticatedBy says how the integrator authenticated the person
	// (for example "password+totp"); it is recorded as the integrator's
	// word, with the client and its address.
	AuthenticatedBy string `json:"authenticated_by"`
	// FrameOrigin is the origin of the page that frames the session; the
	// page tells it what happens, by postMessage, and no one else.
	FrameOrigin string `json:"frame_origin,omitempty"`
	// ReturnURL is where the page goes after the recipient acts, when it
	// is not framed, with ?event=signed (or declined, ...) added.
	ReturnURL string `json:"return_url,omitempty"`
	// InPersonHost names the host user before whom the recipient signs on
	// the host's device.
	InPersonHost string `json:"in_person_host,omitempty"`
}

// Session is a minted embedded session: the URL to open, once, before
// ExpiresAt.
type Session struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Service mints and opens embedded sessions.
type Service struct {
	Store     *database.Store
	Links     *signinglink.Minter
	Verifier  *verification.Verifier
	PublicURL string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// ErrNotEmbeddable is a recipient who cannot be given a session now: not
// embedded (and not signing in person), or whose part is over.
type ErrNotEmbeddable struct{ Reason string }

func (e *ErrNotEmbeddable) Error() string { return e.Reason }

// Mint makes a one-time URL for recipient rid of env, on client's word
// given from ip. An in-person session may be opened for any recipient
// (the host vouches for them, present); otherwise only for an embedded one.
func (s *Service) Mint(ctx context.Context, env *models.Envelope, rid string, req Request, client, ip string) (Session, error) {
	if errs := s.check(ctx, env.TenantID, &req); len(errs) > 0 {
		return Session{}, errs
	}
	i := slices.IndexFunc(env.Recipients, func(r models.Recipient) bool { return r.ID == rid })
	r := &env.Recipients[i]
	switch {
	case !r.Embedded() && req.InPersonHost == "":
		return Session{}, &ErrNotEmbeddable{Reason: "recipient " + rid + " is not embedded: give them a client_user_id when you send the envelope, or sign them in person (in_person_host)"}
	case r.Role == models.RoleCC:
		return Session{}, &ErrNotEmbeddable{Reason: "recipient " + rid + " is a cc and does not sign"}
	case routing.HasActed(r.Status) || env.Status != models.EnvelopeInProgress:
		return Session{}, &ErrNotEmbeddable{Reason: "recipient " + rid + " has no part left: they have " + r.Status + ", the envelope is " + env.Status}
	}
	now := s.now()
	token := signinglink.RandomToken()
	t := &models.EmbedTicket{TokenHash: signinglink.Hash(token), TenantID: env.TenantID, EnvelopeID: env.ID, RecipientID: rid,
		LinkGeneration: r.LinkGeneration, ClientID: client, AssertedBy: req.AuthenticatedBy, ClientIP: ip,
		InPersonHost: req.InPersonHost, FrameOrigin: req.FrameOrigin, ReturnURL: req.ReturnURL,
		CreatedAt: now, ExpiresAt: now.Add(verification.EmbedTicketValidity)}
	if err := s.Store.CreateEmbedTicket(ctx, t); err != nil {
		return Session{}, err
	}
	return Session{URL: s.PublicURL + "/embed/" + token, ExpiresAt: t.ExpiresAt}, nil
}

// check says what is wrong with req, given the tenant's origins.
func (s *Service) check(ctx context.Context, tenant string, req *Request) signing.FieldErrors {
	var errs signing.FieldErrors
	req.AuthenticatedBy, req.InPersonHost = strings.TrimSpace(req.AuthenticatedBy), strings.TrimSpace(req.InPersonHost)
	if req.AuthenticatedBy == "" || len(req.AuthenticatedBy) > 100 {
		errs.Add("authenticated_by", "say how you authenticated the person (for example password+totp), in 1 to 100 characters")
	}
	signing.CheckPrintable(&errs, "authenticated_by", req.AuthenticatedBy)
	if len(req.InPersonHost) > 200 {
		errs.Add("in_person_host", "name the host in at most 200 characters")
	}
	signing.CheckPrintable(&errs, "in_person_host", req.InPersonHost)
	settings, err := s.Store.EmbedSettingsOf(ctx, tenant)
	if err != nil {
		errs.Add("frame_origin", "the allowed origins could not be read; retry")
		return errs
	}
	allowed := strings.Fields(settings.Origins)
	if req.FrameOrigin != "" {
		o, ok := origin(req.FrameOrigin)
		if !ok || !slices.Contains(allowed, o) {
			errs.Add("frame_origin", "give one of your allowed origins (PUT /v1/embedding): %s", strings.Join(allowed, ", "))
		}
		req.FrameOrigin = o
	}
	if req.ReturnURL != "" {
		if o, ok := originOf(req.ReturnURL); !ok || !slices.Contains(allowed, o) || len(req.ReturnURL) > 2000 {
			errs.Add("return_url", "give a URL of one of your allowed origins (PUT /v1/embedding), in at most 2000 characters")
		}
	}
	return errs
}

// Opened is an embedded session opened: where its browser goes next.
type Opened struct {
	Recipient *models.Recipient
	// Page is the signing page's path, with what the page needs after #:
	// the session, the origin to tell, the return URL.
	Page string
	// FrameOrigin may frame the page.
	FrameOrigin string
}

// Open spends the ticket of token, records the integrator's word and
// opens the session. It fails with models.ErrNotFound for an unknown
// ticket and database.ErrTicketSpent for one used, expired, or whose link
// has been replaced since.
func (s *Service) Open(ctx context.Context, token string, event func(r *models.Recipient) verification.EventFor) (*Opened, error) {
	t, err := s.Store.UseEmbedTicket(ctx, signinglink.Hash(token), s.now())
	if err != nil {
		return nil, err
	}
	env, err := s.Store.GetEnvelope(ctx, t.TenantID, t.EnvelopeID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(env.Recipients, func(r models.Recipient) bool { return r.ID == t.RecipientID })
	if i < 0 {
		return nil, models.ErrNotFound
	}
	r := &env.Recipients[i]
	if r.LinkGeneration != t.LinkGeneration {
		return nil, database.ErrTicketSpent
	}
	session, err := s.Verifier.OpenEmbedded(ctx, r, t, event(r))
	if err != nil {
		return nil, err
	}
	fragment := url.Values{}
	if session != "" {
		fragment.Set("session", session)
	}
	if t.FrameOrigin != "" {
		fragment.Set("host", t.FrameOrigin)
	}
	if t.ReturnURL != "" {
		fragment.Set("return", t.ReturnURL)
	}
	page := signinglink.Path(s.Links.TokenFor(r.ID, r.LinkGeneration, r.TokenHash))
	if len(fragment) > 0 {
		page += "#" + fragment.Encode()
	}
	return &Opened{Recipient: r, Page: page, FrameOrigin: t.FrameOrigin}, nil
}

// FrameAncestors is the CSP frame-ancestors of r's signing page: the
// tenant's origins for an embedded recipient, none for anyone else.
func (s *Service) FrameAncestors(ctx context.Context, r *models.Recipient) (string, error) {
	if !r.Embedded() {
		return "'none'", nil
	}
	settings, err := s.Store.EmbedSettingsOf(ctx, r.TenantID)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(settings.Origins) == "" {
		return "'none'", nil
	}
	return settings.Origins, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
