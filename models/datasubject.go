package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// SubjectEnvelope is one envelope as it concerns one person: the
// recipients that are them, their fields, the events about them, and the
// messages sent to them.
type SubjectEnvelope struct {
	Envelope      Envelope
	Recipients    []Recipient
	Fields        []Field
	Events        []Event
	Notifications []Notification
}

// DataSubject gathers everything a tenant holds about one email address
// (matched without regard to case), newest envelope first, at most limit
// envelopes.
func (s *Store) DataSubject(ctx context.Context, tenantID, email string, limit int) ([]SubjectEnvelope, error) {
	var recipients []Recipient
	err := s.DB.WithContext(ctx).Where("tenant_id = ? AND LOWER(email) = LOWER(?)", tenantID, email).
		Order("envelope_id DESC").Find(&recipients).Error
	if err != nil {
		return nil, fmt.Errorf("find recipients by email: %w", err)
	}
	var out []SubjectEnvelope
	for _, r := range recipients {
		if n := len(out); n > 0 && out[n-1].Envelope.ID == r.EnvelopeID {
			continue
		}
		if len(out) == limit {
			break
		}
		env, err := s.GetEnvelope(ctx, tenantID, r.EnvelopeID)
		if err != nil {
			return nil, err
		}
		var mine []string
		se := SubjectEnvelope{Envelope: *env}
		for _, x := range env.Recipients {
			if strings.EqualFold(x.Email, email) {
				se.Recipients = append(se.Recipients, x)
				mine = append(mine, x.ID)
			}
		}
		for _, f := range env.Fields {
			if slices.Contains(mine, f.RecipientID) {
				se.Fields = append(se.Fields, f)
			}
		}
		events, err := s.Events(ctx, env.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if slices.Contains(mine, e.RecipientID) || strings.EqualFold(e.Actor, email) {
				se.Events = append(se.Events, e)
			}
		}
		notes, err := s.Notifications(ctx, env.ID)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			if slices.Contains(mine, n.RecipientID) {
				se.Notifications = append(se.Notifications, n)
			}
		}
		out = append(out, se)
	}
	return out, nil
}
