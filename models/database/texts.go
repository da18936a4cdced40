package database

import (
	"context"
	"errors"
	"time"
)

// TextBudget is how many texts one envelope's recipients, together, and
// one tenant may be sent in an hour: texts cost money.
type TextBudget struct {
	PerEnvelope, PerTenant int
}

// TakeText counts one text of an envelope against b, answering false (and
// counting nothing) when either limit is spent for this hour. A text that
// then never leaves is given back with ReturnText.
func (s *Store) TakeText(ctx context.Context, b TextBudget, tenantID, envelopeID string, now time.Time) (bool, error) {
	limits := []struct {
		bucket string
		most   int
	}{{envelopeTexts(envelopeID), b.PerEnvelope}, {tenantTexts(tenantID), b.PerTenant}}
	var taken []string
	for _, l := range limits {
		n, err := s.Hit(ctx, l.bucket, time.Hour, now)
		if err != nil {
			return false, errors.Join(err, s.unhitAll(ctx, taken))
		}
		taken = append(taken, l.bucket)
		if n > l.most {
			return false, s.unhitAll(ctx, taken)
		}
	}
	return true, nil
}

// ReturnText gives back a text TakeText counted that never left.
func (s *Store) ReturnText(ctx context.Context, tenantID, envelopeID string) error {
	return s.unhitAll(ctx, []string{envelopeTexts(envelopeID), tenantTexts(tenantID)})
}

func (s *Store) unhitAll(ctx context.Context, buckets []string) error {
	var err error
	for _, b := range buckets {
		err = errors.Join(err, s.Unhit(context.WithoutCancel(ctx), b))
	}
	return err
}

func envelopeTexts(envelopeID string) string { return "texts-envelope:" + envelopeID }
func tenantTexts(tenantID string) string     { return "texts-tenant:" + tenantID }
