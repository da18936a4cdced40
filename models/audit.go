package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// SystemEvent is an event Signflow itself causes, once per key.
func SystemEvent(key string, details map[string]any) Event {
	return Event{Key: key, ActorType: ActorSystem, Actor: "signflow", Details: details}
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
