package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// The audit chain: every event of an envelope carries the hash of the one
// before it, the first the envelope ID, and its own
//
//	hash = hex(SHA-256(prev_hash || canonical JSON of the event))
//
// where prev_hash is the previous event's hex hash as text and the
// canonical JSON is CanonicalJSON below. Changing, removing or reordering
// any event breaks every hash after it.

// timeLayout fixes timestamps to UTC milliseconds, as stored and hashed.
const timeLayout = "2006-01-02T15:04:05.000Z"

// chained is what the hash covers: every field of the event but the hash itself.
type chained struct {
	ID              string   `json:"id"`
	EnvelopeID      string   `json:"envelope_id"`
	Seq             int64    `json:"seq"`
	Type            string   `json:"type"`
	ActorType       string   `json:"actor_type"`
	Actor           string   `json:"actor"`
	RecipientID     string   `json:"recipient_id"`
	IP              string   `json:"ip"`
	UserAgent       string   `json:"user_agent"`
	EnvelopeStatus  string   `json:"envelope_status"`
	EnvelopeVersion int64    `json:"envelope_version"`
	DocumentSHA256  []string `json:"document_sha256"`
	Details         any      `json:"details"`
	OccurredAt      string   `json:"occurred_at"`
	PrevHash        string   `json:"prev_hash"`
}

// sealedChained is what the hash covers of an event whose personal data
// is sealed: the same fields, the personal ones empty as stored, and the
// sealed text after them. Events without a seal hash as they always have.
type sealedChained struct {
	chained
	Sealed string `json:"sealed"`
}

// CanonicalJSON is the byte string an event's hash covers: fixed field
// order, object keys sorted at every depth, no insignificant whitespace.
func CanonicalJSON(e Event) ([]byte, error) {
	if e.Sealed == "" {
		c, err := chainedOf(e)
		if err != nil {
			return nil, err
		}
		return json.Marshal(c)
	}
	e.Actor, e.IP, e.UserAgent, e.Details = "", "", "", nil // as stored: they are in the seal
	c, err := chainedOf(e)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sealedChained{chained: c, Sealed: e.Sealed})
}

func chainedOf(e Event) (chained, error) {
	details, err := normalize(e.Details)
	if err != nil {
		return chained{}, err
	}
	docs := e.DocumentSHA256
	if docs == nil {
		docs = []string{}
	}
	return chained{
		ID: e.ID, EnvelopeID: e.EnvelopeID, Seq: e.Seq, Type: e.Type, ActorType: e.ActorType, Actor: e.Actor,
		RecipientID: e.RecipientID, IP: e.IP, UserAgent: e.UserAgent, EnvelopeStatus: e.EnvelopeStatus,
		EnvelopeVersion: e.EnvelopeVersion, DocumentSHA256: docs, Details: details,
		OccurredAt: e.OccurredAt.UTC().Format(timeLayout), PrevHash: e.PrevHash,
	}, nil
}

// normalize turns details into plain JSON values, so that structs and the
// maps they become after a database round trip hash the same.
func normalize(details map[string]any) (any, error) {
	if len(details) == 0 {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("encode event details: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode event details: %w", err)
	}
	return v, nil
}

// ChainHash is an event's hash given the hash before it.
func ChainHash(prev string, e Event) (string, error) {
	e.PrevHash = prev
	body, err := CanonicalJSON(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(prev), body...))
	return hex.EncodeToString(sum[:]), nil
}

// appendEvent adds e to its envelope's chain unless an event with the same
// key is already there, so retried writers append once, and to the feed
// when integrators follow its type. It must run in a transaction; it locks
// the envelope row so concurrent appends queue up and the chain never
// forks. It reports whether it appended.
func (s *Store) appendEvent(tx *gorm.DB, e Event) (bool, error) {
	t := trail{store: s}
	added, err := t.append(tx, e)
	if err != nil {
		return false, err
	}
	return added, t.flush(tx)
}

// trail appends a transaction's events to their chain at once and to the
// feed at the end: the feed's lock is then held only for the feed's own
// writes and the commit, not for the rest of the transaction.
type trail struct {
	store *Store // seals personal data
	feed  []Event
}

// append adds e to its envelope's chain and keeps it for the feed.
func (t *trail) append(tx *gorm.DB, e Event) (bool, error) {
	stored, added, err := chainEvent(tx, t.store, e)
	if added && slices.Contains(FeedTypes, stored.Type) {
		t.feed = append(t.feed, stored)
	}
	return added, err
}

// flush writes the kept events to the feed.
func (t *trail) flush(tx *gorm.DB) error { return appendFeed(tx, t.feed) }

// chainEvent adds e to its envelope's chain (see appendEvent) and returns
// it as stored.
func chainEvent(tx *gorm.DB, s *Store, e Event) (Event, bool, error) {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT id FROM envelopes WHERE id = ? FOR UPDATE", e.EnvelopeID).Error; err != nil {
			return Event{}, false, fmt.Errorf("lock envelope %s: %w", e.EnvelopeID, err)
		}
	} // SQLite transactions here begin IMMEDIATE: one writer at a time.
	var seen int64
	if err := tx.Model(&Event{}).Where("envelope_id = ? AND key = ?", e.EnvelopeID, e.Key).Count(&seen).Error; err != nil {
		return Event{}, false, fmt.Errorf("look up event %s: %w", e.Key, err)
	}
	if seen > 0 {
		return Event{}, false, nil
	}
	var last []Event
	if err := tx.Where("envelope_id = ?", e.EnvelopeID).Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
		return Event{}, false, fmt.Errorf("load last event: %w", err)
	}
	e.Seq, e.PrevHash = 1, e.EnvelopeID
	if len(last) == 1 {
		e.Seq, e.PrevHash = last[0].Seq+1, last[0].Hash
	}
	e.ID = stableID("event", e.EnvelopeID, e.Key)
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Millisecond)
	if err := s.sealPersonal(tx, &e); err != nil {
		return Event{}, false, err
	}
	var err error
	if e.Hash, err = ChainHash(e.PrevHash, e); err != nil {
		return Event{}, false, err
	}
	if err := tx.Create(&e).Error; err != nil {
		return Event{}, false, fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return e, true, nil
}

// SystemEvent is an event Signflow itself causes, once per key.
func SystemEvent(key string, details map[string]any) Event {
	return Event{Key: key, ActorType: ActorSystem, Actor: "signflow", Details: details}
}

// AppendEvent records an event that happens outside the workflow (a link
// opened, a document downloaded). key makes the write idempotent.
func (s *Store) AppendEvent(ctx context.Context, e Event) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var env Envelope
		if err := tx.Select("status", "version").Where("id = ?", e.EnvelopeID).First(&env).Error; err != nil {
			return fmt.Errorf("load envelope %s: %w", e.EnvelopeID, err)
		}
		e.EnvelopeStatus, e.EnvelopeVersion = env.Status, env.Version
		_, err := s.appendEvent(tx, e)
		return err
	})
}

// ChainBreak names the first event at which an audit chain fails.
type ChainBreak struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// VerifyChain recomputes an envelope's chain from its events in order and
// returns the first event that does not match, or nil when all do.
func VerifyChain(envelopeID string, events []Event) *ChainBreak {
	prev := envelopeID
	for i, e := range events {
		switch {
		case e.Seq != int64(i+1):
			return &ChainBreak{Seq: e.Seq, Reason: fmt.Sprintf("expected event number %d here: an event is missing or out of place", i+1)}
		case e.PrevHash != prev:
			return &ChainBreak{Seq: e.Seq, Reason: "it does not point to the event before it: an earlier event was changed or removed"}
		}
		h, err := ChainHash(prev, e)
		if err != nil || h != e.Hash {
			return &ChainBreak{Seq: e.Seq, Reason: "its content does not match its hash: the event was changed after it was recorded"}
		}
		prev = e.Hash
	}
	return nil
}
