package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/branding"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/models"
)

// brandingView is a tenant's branding as the API shows it.
type brandingView struct {
	Name    string `json:"name"`
	Color   string `json:"color"`
	HasLogo bool   `json:"has_logo"`
}

func viewOfBranding(b models.Branding) brandingView {
	return brandingView{Name: b.Name, Color: b.Color, HasLogo: len(b.Logo) > 0}
}

func (s *Server) getBranding(c *gin.Context) {
	b, err := s.Store.BrandingOf(c.Request.Context(), tenantID(c))
	if err != nil {
		s.unavailable(c, "loading the branding", err)
		return
	}
	c.JSON(http.StatusOK, viewOfBranding(b))
}

func (s *Server) putBranding(c *gin.Context) {
	var body branding.Request
	if !readJSON(c, &body, `send JSON such as {"name": "Nordlicht AS", "color": "#1d4ed8", "logo_png_base64": "..."}`) {
		return
	}
	b, errs := branding.Check(c.Request.Context(), tenantID(c), body)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	if err := s.Store.SetBranding(c.Request.Context(), b); err != nil {
		s.unavailable(c, "saving the branding", err)
		return
	}
	c.JSON(http.StatusOK, viewOfBranding(b))
}

// senderView is who sent the envelope, as its signers see them before and
// after they prove who they are: the tenant's branding.
type senderView struct {
	Name  string `json:"name,omitempty"`
	Color string `json:"color,omitempty"`
	// LogoURL is the logo, when there is one, at the link's own route.
	LogoURL string `json:"logo_url,omitempty"`
}

// sender is the branding r's tenant shows r; an unbranded tenant shows none.
func (s *Server) sender(c *gin.Context, r *models.Recipient) (*senderView, error) {
	b, err := s.Store.BrandingOf(c.Request.Context(), r.TenantID)
	if err != nil || (b.Name == "" && b.Color == "" && len(b.Logo) == 0) {
		return nil, err
	}
	v := &senderView{Name: b.Name, Color: b.Color}
	if len(b.Logo) > 0 {
		v.LogoURL = s.PublicURL + signinglink.APIPath(c.Param("token")) + "/logo"
	}
	return v, nil
}

// signingLogo is the sender's logo, for the link's page.
func (s *Server) signingLogo(c *gin.Context) {
	r := s.linkRecipient(c)
	if r == nil {
		return
	}
	b, err := s.Store.BrandingOf(c.Request.Context(), r.TenantID)
	if err != nil {
		s.unavailable(c, "loading the logo", err)
		return
	}
	if len(b.Logo) == 0 {
		problem(c, http.StatusNotFound, "not-found", "The sender has no logo.")
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/png", b.Logo)
}
