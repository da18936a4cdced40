package database

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/signflow/signflow/models"
)

// DataSubject gathers everything a tenant holds about one email address
// (matched without regard to case), newest envelope first, at most limit
// envelopes: those where the address is a recipient's now, and those where
// it held a recipient's slot before.
func (s *Store) DataSubject(ctx context.Context, tenantID, email string, limit int) ([]models.SubjectEnvelope, error) {
	var recipients []models.Recipient
	err := s.DB.WithContext(ctx).Where("tenant_id = ? AND LOWER(email) = LOWER(?)", tenantID, email).Find(&recipients).Error
	if err != nil {
		return nil, fmt.Errorf("find recipients by email: %w", err)
	}
	var formers []models.FormerIdentity
	err = s.DB.WithContext(ctx).Where("tenant_id = ? AND LOWER(email) = LOWER(?) AND erased_at IS NULL", tenantID, email).Find(&formers).Error
	if err != nil {
		return nil, fmt.Errorf("find former holders by email: %w", err)
	}
	var ids []string
	for _, r := range recipients {
		ids = append(ids, r.EnvelopeID)
	}
	for _, f := range formers {
		ids = append(ids, f.EnvelopeID)
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	ids = slices.Compact(ids)
	var out []models.SubjectEnvelope
	for _, id := range ids[:min(len(ids), limit)] {
		se, err := s.subjectEnvelope(ctx, tenantID, id, email, formers)
		if err != nil {
			return nil, err
		}
		out = append(out, se)
	}
	return out, nil
}

// subjectEnvelope is what envelope id holds about email. A slot's events
// and messages are theirs only while they held it: a recipient's own
// actions carry their address, and messages the address they went to.
func (s *Store) subjectEnvelope(ctx context.Context, tenantID, id, email string, formers []models.FormerIdentity) (models.SubjectEnvelope, error) {
	env, err := s.GetEnvelope(ctx, tenantID, id)
	if err != nil {
		return models.SubjectEnvelope{}, err
	}
	se := models.SubjectEnvelope{Envelope: *env}
	var mine, held []string
	for _, x := range env.Recipients {
		if strings.EqualFold(x.Email, email) {
			se.Recipients = append(se.Recipients, x)
			mine = append(mine, x.ID)
		}
	}
	for _, f := range formers {
		if f.EnvelopeID == id {
			se.FormerIdentities = append(se.FormerIdentities, f)
			held = append(held, f.RecipientID)
		}
	}
	for _, f := range env.Fields {
		if slices.Contains(mine, f.RecipientID) {
			se.Fields = append(se.Fields, f)
		}
	}
	events, err := s.Events(ctx, env.ID)
	if err != nil {
		return models.SubjectEnvelope{}, err
	}
	for _, e := range events {
		someoneElse := e.ActorType == models.ActorRecipient && !strings.EqualFold(e.Actor, email)
		if (slices.Contains(mine, e.RecipientID) && !someoneElse) || strings.EqualFold(e.Actor, email) {
			se.Events = append(se.Events, e)
		}
	}
	notes, err := s.Notifications(ctx, env.ID)
	if err != nil {
		return models.SubjectEnvelope{}, err
	}
	for _, n := range notes {
		if (slices.Contains(mine, n.RecipientID) || slices.Contains(held, n.RecipientID)) && strings.EqualFold(n.Email, email) {
			se.Notifications = append(se.Notifications, n)
		}
	}
	return se, nil
}
