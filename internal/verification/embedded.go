package verification

import (
	"context"
	"fmt"
	"time"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/models"
)

// EmbedTicketValidity is how long an embedded-session URL may wait to be
// opened, once: as DocuSign's recipient views, minutes, not hours.
const EmbedTicketValidity = 5 * time.Minute

// Required are the factors r proves in a session before acting: their own
// setting's; an embedded recipient whose setting asks none acts on the
// integrator's word, which only an embedded session carries.
func Required(r *models.Recipient) []string {
	methods := models.Methods(r.Authentication)
	if len(methods) == 0 && r.Embedded() {
		return []string{models.AuthIntegrator}
	}
	return methods
}

// OpenEmbedded records the integrator's word of ticket t about r (which
// client vouched, how it had authenticated the person, when, from which
// address; the host, when the person signs in their presence) and, when r
// proves no factor of their own, opens a session on that word alone;
// otherwise the token is empty and the recipient proves their own factor
// on the page, on top.
func (v *Verifier) OpenEmbedded(ctx context.Context, r *models.Recipient, t *models.EmbedTicket, event EventFor) (string, error) {
	asserted := event(models.EventIdentityAsserted)
	asserted.Key = "asserted:" + t.TokenHash[:32]
	asserted.Details = map[string]any{"client_id": t.ClientID, "asserted_by": t.AssertedBy, "asserted_at": t.CreatedAt,
		"client_ip": t.ClientIP, "link_generation": t.LinkGeneration}
	if t.InPersonHost != "" {
		asserted.Details["in_person_host"] = t.InPersonHost
	}
	if err := v.Store.AppendEvent(ctx, asserted); err != nil {
		return "", fmt.Errorf("record the integrator's assertion: %w", err)
	}
	methods := Required(r)
	if len(methods) != 1 || methods[0] != models.AuthIntegrator {
		return "", nil
	}
	now := v.now()
	token := signinglink.RandomToken()
	session := models.SigningSession{ID: models.NewID(), TenantID: r.TenantID, RecipientID: r.ID, TokenHash: signinglink.Hash(token),
		Methods: methods, LinkGeneration: r.LinkGeneration, VerifiedAt: now, ExpiresAt: now.Add(v.SessionTTL), CreatedAt: now}
	if err := v.Store.CreateSession(ctx, session); err != nil {
		return "", err
	}
	started := event(models.EventSessionStarted)
	started.Details = map[string]any{"session_id": session.ID, "auth_methods": methods}
	if err := v.Store.AppendEvent(ctx, started); err != nil {
		return "", err
	}
	return token, nil
}
