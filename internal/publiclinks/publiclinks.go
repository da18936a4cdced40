// Package publiclinks gives templates self-serve links, as DocuSign's
// PowerForms and Documenso's direct links do: anyone who has the link
// gives a name and an email and signs the template, each use becoming an
// ordinary envelope with its own audit trail and webhooks. The visitor
// proves the email with a one-time code on the signing page before
// signing. Uses are bounded per link (a maximum, an expiry, a rate) and
// per address, and the link shows nothing but the template's name and
// documents.
package publiclinks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/sending"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

// Bounds on visitors, per hour: from one address, and through one link.
const (
	StartsPerAddress = 10
	StartsPerLink    = 200
)

// ErrTooMany is a visitor over a bound; ErrUnavailable a link that is
// unknown, off, expired or used up (the visitor is not told which).
var (
	ErrTooMany     = errors.New("too many envelopes started; retry in an hour")
	ErrUnavailable = errors.New("this link is not available")
)

// Service runs self-serve links.
type Service struct {
	Store     *database.Store
	Links     *signinglink.Minter
	Sender    *sending.Sender
	PublicURL string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Settings turn a link on or off and bound it.
type Settings struct {
	Enabled   bool       `json:"enabled"`
	MaxUses   int        `json:"max_uses"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// View is a link as its owner sees it.
type View struct {
	URL       string     `json:"url"`
	Enabled   bool       `json:"enabled"`
	MaxUses   int        `json:"max_uses"`
	Uses      int        `json:"uses"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Configure sets templateID's link, making it on first use. A template
// with a link has one role, a signer who proves their email by code: the
// visitor takes it.
func (s *Service) Configure(ctx context.Context, tenant, templateID string, set Settings) (View, error) {
	var errs signing.FieldErrors
	if set.MaxUses < 0 || set.MaxUses > 1_000_000 {
		errs.Add("max_uses", "give 0 (no bound) to 1000000")
	}
	if set.ExpiresAt != nil && !set.ExpiresAt.After(s.now()) {
		errs.Add("expires_at", "give a time in the future")
	}
	if len(errs) > 0 {
		return View{}, errs
	}
	if _, err := s.role(ctx, tenant, templateID); err != nil {
		return View{}, err
	}
	l, err := s.Store.PublicLinkOf(ctx, tenant, templateID)
	if errors.Is(err, models.ErrNotFound) {
		l = &models.PublicLink{TemplateID: templateID, TenantID: tenant}
		s.mint(l)
	} else if err != nil {
		return View{}, err
	}
	l.Enabled, l.MaxUses, l.ExpiresAt = set.Enabled, set.MaxUses, set.ExpiresAt
	if err := s.Store.SetPublicLink(ctx, l); err != nil {
		return View{}, err
	}
	return s.view(l), nil
}

// Rotate gives the link a new token; the old one stops working at once.
func (s *Service) Rotate(ctx context.Context, tenant, templateID string) (View, error) {
	l, err := s.Store.PublicLinkOf(ctx, tenant, templateID)
	if err != nil {
		return View{}, err
	}
	s.mint(l)
	if err := s.Store.SetPublicLink(ctx, l); err != nil {
		return View{}, err
	}
	return s.view(l), nil
}

// Get is templateID's link; models.ErrNotFound when it has none.
func (s *Service) Get(ctx context.Context, tenant, templateID string) (View, error) {
	l, err := s.Store.PublicLinkOf(ctx, tenant, templateID)
	if err != nil {
		return View{}, err
	}
	return s.view(l), nil
}

// Offer is what a link shows a visitor.
type Offer struct {
	Name      string          `json:"name"`
	Documents []OfferDocument `json:"documents"`
}

// OfferDocument is a document a visitor will sign.
type OfferDocument struct {
	Name string `json:"name"`
}

// Offer is the template behind token, if its link is usable now.
func (s *Service) Offer(ctx context.Context, token string) (Offer, error) {
	l, err := s.usable(ctx, token)
	if err != nil {
		return Offer{}, err
	}
	t, err := s.Store.GetTemplate(ctx, l.TenantID, l.TemplateID)
	if err != nil {
		return Offer{}, unavailable(err)
	}
	def, err := s.definition(ctx, l.TenantID, t)
	if err != nil {
		return Offer{}, err
	}
	o := Offer{Name: t.Name}
	for _, d := range def.Documents {
		o.Documents = append(o.Documents, OfferDocument{Name: d.Name})
	}
	return o, nil
}

// Visitor is who uses a link.
type Visitor struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Locale string `json:"locale,omitempty"`
}

// Start makes the template's envelope for the visitor, from ip, and
// answers the signing page's URL, where they prove their email and sign.
func (s *Service) Start(ctx context.Context, token string, v Visitor, ip, userAgent string) (string, error) {
	v.Name, v.Email = strings.TrimSpace(v.Name), strings.TrimSpace(v.Email)
	var errs signing.FieldErrors
	if v.Name == "" || len(v.Name) > 200 {
		errs.Add("name", "give your name, in 1 to 200 characters")
	}
	signing.CheckPrintable(&errs, "name", v.Name)
	if !signing.ValidEmail(v.Email) {
		errs.Add("email", "give a plain email address such as ada@example.com")
	}
	if len(errs) > 0 {
		return "", errs
	}
	l, err := s.usable(ctx, token)
	if err != nil {
		return "", err
	}
	now := s.now()
	for bucket, limit := range map[string]int{"public-addr:" + ip: StartsPerAddress, "public-link:" + l.TemplateID: StartsPerLink} {
		hits, err := s.Store.Hit(ctx, bucket, time.Hour, now)
		if err != nil {
			return "", err
		}
		if hits > limit {
			return "", ErrTooMany
		}
	}
	role, err := s.role(ctx, l.TenantID, l.TemplateID)
	if err != nil {
		return "", unavailable(err)
	}
	if err := s.Store.UsePublicLink(ctx, l.TokenHash, now); errors.Is(err, database.ErrLinkUsedUp) {
		return "", ErrUnavailable
	} else if err != nil {
		return "", err
	}
	spec := signing.EnvelopeRequest{TemplateID: l.TemplateID, Locale: v.Locale,
		Roles: []signing.RoleAssignment{{Role: role, Name: v.Name, Email: v.Email}}}
	created := models.Event{ActorType: models.ActorRecipient, Actor: v.Email, IP: ip, UserAgent: userAgent,
		Details: map[string]any{"public_link": l.TemplateID, "link_generation": l.Generation}}
	env, errs, err := s.Sender.Send(ctx, l.TenantID, models.NewID(), spec, nil, created, false)
	if err != nil || len(errs) > 0 {
		if unuse := s.Store.UnusePublicLink(context.WithoutCancel(ctx), l.TokenHash); unuse != nil {
			err = errors.Join(err, unuse)
		}
		if len(errs) > 0 {
			return "", errs
		}
		return "", err
	}
	r := env.Recipients[0]
	return s.PublicURL + signinglink.Path(s.Links.Token(r.ID, r.LinkGeneration)), nil
}

// role is the one role of templateID's newest version, which a visitor
// takes; a template of more roles, or whose role is not a signer proving
// their email by code, cannot have a link.
func (s *Service) role(ctx context.Context, tenant, templateID string) (string, error) {
	t, err := s.Store.GetTemplate(ctx, tenant, templateID)
	if err != nil {
		return "", err
	}
	def, err := s.definition(ctx, tenant, t)
	if err != nil {
		return "", err
	}
	if len(def.Roles) != 1 || (def.Roles[0].Role != "" && def.Roles[0].Role != models.RoleSigner) ||
		(def.Roles[0].Authentication != "" && def.Roles[0].Authentication != models.AuthEmailOTP) {
		return "", signing.FieldErrors{{Field: "template", Message: "a self-serve link needs a template of one role, a signer who proves their email by code (authentication email_otp)"}}
	}
	return def.Roles[0].Name, nil
}

func (s *Service) definition(ctx context.Context, tenant string, t *models.Template) (signing.TemplateDefinition, error) {
	v, err := s.Store.GetTemplateVersion(ctx, tenant, t.ID, t.Version)
	if err != nil {
		return signing.TemplateDefinition{}, err
	}
	return signing.ParseDefinition(v.Definition)
}

// usable is the link of token, if it makes envelopes now.
func (s *Service) usable(ctx context.Context, token string) (*models.PublicLink, error) {
	l, err := s.Store.PublicLinkByHash(ctx, signinglink.Hash(token))
	if err != nil {
		return nil, unavailable(err)
	}
	if !l.Usable(s.now()) {
		return nil, ErrUnavailable
	}
	return l, nil
}

// mint moves l to its next generation's token.
func (s *Service) mint(l *models.PublicLink) {
	l.Generation++
	l.TokenHash = signinglink.Hash(s.token(l))
}

func (s *Service) token(l *models.PublicLink) string {
	return s.Links.Token("public:"+l.TemplateID, l.Generation)
}

// view shows the link's URL under whichever key made its token.
func (s *Service) view(l *models.PublicLink) View {
	token := s.Links.TokenFor("public:"+l.TemplateID, l.Generation, l.TokenHash)
	return View{URL: s.PublicURL + "/p/" + token, Enabled: l.Enabled, MaxUses: l.MaxUses, Uses: l.Uses, ExpiresAt: l.ExpiresAt}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// unavailable hides from a visitor whether a link or template exists.
func unavailable(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return ErrUnavailable
	}
	return fmt.Errorf("read the link: %w", err)
}
