package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// SetEmbeddingOrigins sets the origins that may frame the tenant's
// embedded signing pages (https, or http on localhost).
func (c *Client) SetEmbeddingOrigins(ctx context.Context, origins []string) error {
	body, _ := json.Marshal(map[string][]string{"frame_origins": origins})
	_, err := c.Do(ctx, http.MethodPut, "/v1/embedding", "application/json", body, "")
	return err
}

// EmbeddedSessionRequest asks for an embedded session: how you
// authenticated the person, the origin that frames the page, where an
// unframed page returns, and the host of an in-person signing.
type EmbeddedSessionRequest struct {
	AuthenticatedBy string `json:"authenticated_by"`
	FrameOrigin     string `json:"frame_origin,omitempty"`
	ReturnURL       string `json:"return_url,omitempty"`
	InPersonHost    string `json:"in_person_host,omitempty"`
}

// EmbeddedSession is a one-time URL to open before ExpiresAt.
type EmbeddedSession struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// EmbeddedSession mints a session for a recipient of an envelope.
func (c *Client) EmbeddedSession(ctx context.Context, envelopeID, recipientID string, req EmbeddedSessionRequest) (*EmbeddedSession, error) {
	body, _ := json.Marshal(req)
	path := "/v1/envelopes/" + url.PathEscape(envelopeID) + "/recipients/" + url.PathEscape(recipientID) + "/embedded-session"
	resp, err := c.Do(ctx, http.MethodPost, path, "application/json", body, "")
	if err != nil {
		return nil, err
	}
	var s EmbeddedSession
	if err := resp.Decode(&s); err != nil {
		return nil, fmt.Errorf("signflow: decode embedded session: %w", err)
	}
	return &s, nil
}

// PublicLink is a template's self-serve link.
type PublicLink struct {
	URL       string     `json:"url"`
	Enabled   bool       `json:"enabled"`
	MaxUses   int        `json:"max_uses"`
	Uses      int        `json:"uses"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// SetPublicLink turns a template's self-serve link on or off, bounded by
// maxUses (0: no bound) and expiresAt (nil: none).
func (c *Client) SetPublicLink(ctx context.Context, templateID string, enabled bool, maxUses int, expiresAt *time.Time) (*PublicLink, error) {
	body, _ := json.Marshal(struct {
		Enabled   bool       `json:"enabled"`
		MaxUses   int        `json:"max_uses"`
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
	}{enabled, maxUses, expiresAt})
	return c.publicLink(c.Do(ctx, http.MethodPut, "/v1/templates/"+url.PathEscape(templateID)+"/public-link", "application/json", body, ""))
}

// RotatePublicLink gives a template's link a new URL; the old one stops working.
func (c *Client) RotatePublicLink(ctx context.Context, templateID string) (*PublicLink, error) {
	return c.publicLink(c.Do(ctx, http.MethodPost, "/v1/templates/"+url.PathEscape(templateID)+"/public-link/rotate", "", nil, ""))
}

func (c *Client) publicLink(resp *Response, err error) (*PublicLink, error) {
	if err != nil {
		return nil, err
	}
	var l PublicLink
	if err := resp.Decode(&l); err != nil {
		return nil, fmt.Errorf("signflow: decode public link: %w", err)
	}
	return &l, nil
}

// EditorSession mints a field editor's URL for a template, framed by
// frameOrigin (one of the tenant's embedding origins, or empty).
func (c *Client) EditorSession(ctx context.Context, templateID, frameOrigin string) (*EmbeddedSession, error) {
	body, _ := json.Marshal(struct {
		FrameOrigin string `json:"frame_origin,omitempty"`
	}{frameOrigin})
	resp, err := c.Do(ctx, http.MethodPost, "/v1/templates/"+url.PathEscape(templateID)+"/editor-session", "application/json", body, "")
	if err != nil {
		return nil, err
	}
	var s EmbeddedSession
	if err := resp.Decode(&s); err != nil {
		return nil, fmt.Errorf("signflow: decode editor session: %w", err)
	}
	return &s, nil
}
