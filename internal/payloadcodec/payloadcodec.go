// Package payloadcodec encrypts everything Signflow stores in Temporal:
// workflow inputs, signal and update arguments, activity arguments and
// results, memos, and failure messages. Typed signature values, names,
// emails, IP addresses and user agents pass through Temporal on their way
// to the database; with this codec the Temporal cluster and its database
// hold only AES-256-GCM ciphertext, and only processes given the key (the
// API, the worker, and the codec endpoint an operator's Web UI calls) read
// them.
//
// Keys carry IDs so they can rotate: the first key encrypts, every listed
// key decrypts, and each payload names the key that sealed it.
package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/signflow/signflow/internal/createonce"
)

const (
	// encoding marks a payload this codec sealed; anything else (histories
	// recorded before encryption) is passed through unchanged.
	encoding = "binary/encrypted"
	// keyIDMeta names the key that sealed a payload.
	keyIDMeta = "encryption-key-id"
)

// KeyFile holds the generated keys under the data directory, for `make run`.
const KeyFile = "payload.keys"

// Codec seals and opens payloads; it is a converter.PayloadCodec.
type Codec struct {
	current string
	keys    map[string]cipher.AEAD
}

var keyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Parse reads keys written as "id:base64key", comma-separated, newest
// first. Each key is 32 bytes (AES-256).
func Parse(spec string) (*Codec, error) {
	c := &Codec{keys: map[string]cipher.AEAD{}}
	for n, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok || !keyID.MatchString(id) {
			return nil, fmt.Errorf("payload key %d: want id:base64key, the id of letters, digits, '.', '_' or '-'", n+1)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("payload key %s: want 32 bytes in standard base64", id)
		}
		if _, dup := c.keys[id]; dup {
			return nil, fmt.Errorf("payload key %s is listed twice", id)
		}
		block, _ := aes.NewCipher(raw)
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payload key %s: %w", id, err)
		}
		c.keys[id] = aead
		if c.current == "" {
			c.current = id
		}
	}
	if c.current == "" {
		return nil, errors.New("no payload key given")
	}
	return c, nil
}

// LoadOrCreate reads dir/payload.keys, creating one key there on first
// start; processes starting together agree on it.
func LoadOrCreate(dir string) (*Codec, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createonce.File(path, []byte(NewKey("k"+strconv.FormatInt(time.Now().Unix(), 10))+"\n")); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read payload keys: %w", err)
	}
	return Parse(string(data))
}

// NewKey is a fresh key with the given ID, in the form Parse reads.
func NewKey(id string) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return id + ":" + base64.StdEncoding.EncodeToString(raw)
}

// CurrentKeyID is the ID of the key new payloads are sealed with.
func (c *Codec) CurrentKeyID() string { return c.current }

// Encode seals each payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		_, _ = rand.Read(nonce)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encoding), keyIDMeta: []byte(c.current)},
			// The key ID is authenticated too, so a payload cannot be
			// relabelled to another key.
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode opens sealed payloads and passes the others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != encoding {
			out[i] = p
			continue
		}
		id := string(p.Metadata[keyIDMeta])
		aead, ok := c.keys[id]
		if !ok {
			return nil, fmt.Errorf("payload sealed with key %q, which is not configured", shorten(id))
		}
		if len(p.Data) < aead.NonceSize() {
			return nil, errors.New("sealed payload is truncated")
		}
		nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return nil, fmt.Errorf("open payload sealed with key %s: %w", id, err)
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

func shorten(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
