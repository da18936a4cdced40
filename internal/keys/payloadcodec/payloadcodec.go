// Package payloadcodec encrypts everything Signflow stores in Temporal:
// workflow inputs, signal and update arguments, activity arguments and
// results, memos, and failure messages. Typed signature values, names,
// emails, IP addresses and user agents pass through Temporal on their way
// to the database; with this codec the Temporal cluster and its database
// hold only AES-256-GCM ciphertext, and only processes given the key (the
// API, the worker, and the codec endpoint an operator's Web UI calls) read
// them.
//
// Keys carry IDs so they can rotate (package keyring): the first key
// encrypts, every listed key decrypts, and each payload names the key that
// sealed it.
//
// Sealing is integrity too: a payload that this codec did not seal is
// refused, so nobody who reaches the Temporal frontend can send an update
// in plain JSON with an origin of their choosing; and where the SDK names
// the workflow a payload belongs to, the workflow's ID is authenticated
// with it, so a sealed payload cannot be replayed into another envelope.
package payloadcodec

import (
	"errors"
	"fmt"
	"path/filepath"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/signflow/signflow/internal/keys/keyring"
)

const (
	// encoding marks a payload this codec sealed.
	encoding = "binary/encrypted"
	// keyIDMeta names the key that sealed a payload.
	keyIDMeta = "encryption-key-id"
	// workflowMeta names the workflow a payload was sealed for.
	workflowMeta = "signflow-workflow-id"
)

// ErrNotSealed is a payload that this codec did not seal.
var ErrNotSealed = errors.New("payload refused: it is not sealed by Signflow's payload codec")

// KeyFile holds the generated keys under the data directory, for `make run`.
const KeyFile = "payload.keys"

// Codec seals and opens payloads; it is a converter.PayloadCodec.
type Codec struct {
	keys *keyring.Ring
	// workflowID is the workflow the SDK is encoding or decoding for, if
	// it named one.
	workflowID string
	// acceptPlain lets payloads that were not sealed through: for a
	// cluster that still runs workflows started before encryption, and
	// for showing an operator whatever a history holds.
	acceptPlain bool
}

// AcceptingPlain is c letting payloads that were not sealed through.
func (c *Codec) AcceptingPlain() *Codec {
	cc := *c
	cc.acceptPlain = true
	return &cc
}

// WithSerializationContext binds what c seals and opens to the workflow
// the SDK names; converter.PayloadCodecWithSerializationContext.
func (c *Codec) WithSerializationContext(ctx converter.SerializationContext) converter.PayloadCodec {
	cc := *c
	switch sc := ctx.(type) {
	case converter.WorkflowSerializationContext:
		cc.workflowID = sc.WorkflowID
	case converter.ActivitySerializationContext:
		cc.workflowID = sc.WorkflowID
	}
	return &cc
}

// associatedData is what a payload's seal authenticates besides its
// bytes: the key's ID and, when known, its workflow's.
func associatedData(keyID, workflowID string) []byte {
	if workflowID == "" {
		return []byte(keyID) // as payloads sealed before workflows were bound
	}
	return []byte(keyID + "\x00workflow:" + workflowID)
}

// Parse reads keys written as "id:base64key", comma-separated, newest
// first. Each key is 32 bytes (AES-256).
func Parse(spec string) (*Codec, error) {
	keys, err := keyring.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("payload %w", err)
	}
	return &Codec{keys: keys}, nil
}

// LoadOrCreate reads dir/payload.keys, creating one key there on first
// start; processes starting together agree on it.
func LoadOrCreate(dir string) (*Codec, error) {
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	return &Codec{keys: keys}, nil
}

// NewKey is a fresh key with the given ID, in the form Parse reads.
func NewKey(id string) string { return keyring.NewKey(id) }

// CurrentKeyID is the ID of the key new payloads are sealed with.
func (c *Codec) CurrentKeyID() string {
	id, _ := c.keys.Current()
	return id
}

// Encode seals each payload with the current key. The key ID is
// authenticated too, so a payload cannot be relabelled to another key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	current := c.CurrentKeyID()
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		meta := map[string][]byte{converter.MetadataEncoding: []byte(encoding), keyIDMeta: []byte(current)}
		if c.workflowID != "" {
			meta[workflowMeta] = []byte(c.workflowID)
		}
		_, sealed := c.keys.Seal(plain, associatedData(current, c.workflowID))
		out[i] = &commonpb.Payload{Metadata: meta, Data: sealed}
	}
	return out, nil
}

// Decode opens sealed payloads and refuses the others, unless c accepts
// plain ones.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != encoding {
			if !c.acceptPlain {
				return nil, ErrNotSealed
			}
			out[i] = p
			continue
		}
		id, workflow := string(p.Metadata[keyIDMeta]), string(p.Metadata[workflowMeta])
		if c.workflowID != "" && workflow != "" && workflow != c.workflowID {
			return nil, fmt.Errorf("payload refused: it was sealed for workflow %s, not %s", workflow, c.workflowID)
		}
		plain, err := c.keys.Open(id, p.Data, associatedData(id, workflow))
		if err != nil {
			return nil, fmt.Errorf("payload %w", err)
		}
		var opened commonpb.Payload
		if err := proto.Unmarshal(plain, &opened); err != nil {
			return nil, fmt.Errorf("decode opened payload: %w", err)
		}
		out[i] = &opened
	}
	return out, nil
}

// Apply makes a Temporal client seal what it sends and open what it reads,
// failure messages and stack traces included.
func (c *Codec) Apply(opts *client.Options) {
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true})
}
