package payloadcodec_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/signflow/signflow/internal/keys/payloadcodec"
)

func TestParse(t *testing.T) {
	t.Parallel()
	good := payloadcodec.NewKey("k2")
	for _, tc := range []struct {
		name, spec, wantErr string
	}{
		{"one key", good, ""},
		{"two keys, spaces", " " + good + " , " + payloadcodec.NewKey("k1"), ""},
		{"empty", " , ", "payload keys: none given"},
		{"no id", strings.TrimPrefix(good, "k2:"), "payload key 1: want id:base64key"},
		{"bad id", "a/b:" + strings.TrimPrefix(good, "k2:"), "payload key 1"},
		{"short key", "k1:c2hvcnQ=", "want 32 bytes"},
		{"not base64", "k1:!!!", "want 32 bytes"},
		{"twice", good + "," + good, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := payloadcodec.Parse(tc.spec)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotContains(t, err.Error(), strings.TrimPrefix(good, "k2:")[:8], "an error never shows key material")
				return
			}
			require.NoError(t, err)
			require.Equal(t, "k2", c.CurrentKeyID())
		})
	}
}

func payload(t *testing.T, v any) *commonpb.Payload {
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestSealsAndOpens(t *testing.T) {
	t.Parallel()
	c, err := payloadcodec.Parse(payloadcodec.NewKey("k1"))
	require.NoError(t, err)
	in := []*commonpb.Payload{payload(t, map[string]string{"email": "zainab@example.com", "name": "زينب"}), payload(t, 42)}
	sealed, err := c.Encode(in)
	require.NoError(t, err)
	require.Len(t, sealed, 2)
	for _, p := range sealed {
		require.NotContains(t, string(p.Data), "zainab")
		require.Equal(t, "k1", string(p.Metadata["encryption-key-id"]))
	}
	opened, err := c.Decode(sealed)
	require.NoError(t, err)
	require.Equal(t, in[0].Data, opened[0].Data)
	require.Equal(t, in[1].Metadata, opened[1].Metadata)

	again, err := c.Encode(in[:1])
	require.NoError(t, err)
	require.NotEqual(t, sealed[0].Data, again[0].Data, "a fresh nonce per payload")
}

// After a rotation the new key seals, and payloads sealed before it still
// open; a payload of a key that was dropped, relabelled or altered does not.
func TestRotationAndTampering(t *testing.T) {
	t.Parallel()
	k1, k2 := payloadcodec.NewKey("k1"), payloadcodec.NewKey("k2")
	old, err := payloadcodec.Parse(k1)
	require.NoError(t, err)
	rotated, err := payloadcodec.Parse(k2 + "," + k1)
	require.NoError(t, err)
	onlyNew, err := payloadcodec.Parse(k2)
	require.NoError(t, err)

	in := []*commonpb.Payload{payload(t, "typed signature value")}
	sealedOld, err := old.Encode(in)
	require.NoError(t, err)
	opened, err := rotated.Decode(sealedOld)
	require.NoError(t, err)
	require.Equal(t, in[0].Data, opened[0].Data)

	sealedNew, err := rotated.Encode(in)
	require.NoError(t, err)
	require.Equal(t, "k2", string(sealedNew[0].Metadata["encryption-key-id"]))

	_, err = onlyNew.Decode(sealedOld)
	require.ErrorContains(t, err, `key "k1", which is not configured`)

	relabelled := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/encrypted"), "encryption-key-id": []byte("k2")}, Data: sealedOld[0].Data}
	_, err = rotated.Decode([]*commonpb.Payload{relabelled})
	require.Error(t, err)

	altered := &commonpb.Payload{Metadata: sealedNew[0].Metadata, Data: append([]byte{}, sealedNew[0].Data...)}
	altered.Data[len(altered.Data)-1] ^= 1
	_, err = rotated.Decode([]*commonpb.Payload{altered})
	require.Error(t, err)

	truncated := &commonpb.Payload{Metadata: sealedNew[0].Metadata, Data: sealedNew[0].Data[:4]}
	_, err = rotated.Decode([]*commonpb.Payload{truncated})
	require.ErrorContains(t, err, "truncated")
}

// A payload the codec did not seal is refused (anyone who reaches the
// Temporal frontend could write one), unless plain ones are accepted: for
// runs started before encryption, and for showing an operator a history.
func TestPlainPayloadsAreRefusedUnlessAccepted(t *testing.T) {
	t.Parallel()
	c, err := payloadcodec.Parse(payloadcodec.NewKey("k1"))
	require.NoError(t, err)
	plain := []*commonpb.Payload{payload(t, map[string]string{"ip": "198.51.100.7"})}
	_, err = c.Decode(plain)
	require.ErrorIs(t, err, payloadcodec.ErrNotSealed)
	out, err := c.AcceptingPlain().Decode(plain)
	require.NoError(t, err)
	require.Equal(t, plain, out)
}

// A payload sealed for one workflow opens for that workflow and for the
// operator's codec endpoint, and is refused by any other workflow, even
// with its metadata rewritten.
func TestAPayloadSealedForOneWorkflowOpensForNoOther(t *testing.T) {
	t.Parallel()
	c, err := payloadcodec.Parse(payloadcodec.NewKey("k1"))
	require.NoError(t, err)
	forA := c.WithSerializationContext(converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "envelope-a"})
	forB := c.WithSerializationContext(converter.ActivitySerializationContext{Namespace: "default", WorkflowID: "envelope-b"})
	in := []*commonpb.Payload{payload(t, "sign as alice")}
	sealed, err := forA.Encode(in)
	require.NoError(t, err)
	require.Equal(t, "envelope-a", string(sealed[0].Metadata["signflow-workflow-id"]))

	for name, codec := range map[string]converter.PayloadCodec{"its workflow": forA, "the codec endpoint": c} {
		opened, err := codec.Decode(sealed)
		require.NoError(t, err, name)
		require.Equal(t, in[0].Data, opened[0].Data, name)
	}
	_, err = forB.Decode(sealed)
	require.ErrorContains(t, err, "sealed for workflow envelope-a")
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{}, Data: sealed[0].Data}
	for k, v := range sealed[0].Metadata {
		relabelled.Metadata[k] = v
	}
	relabelled.Metadata["signflow-workflow-id"] = []byte("envelope-b")
	_, err = forB.Decode([]*commonpb.Payload{relabelled})
	require.Error(t, err, "the workflow's ID is authenticated with the payload")
}

func TestLoadOrCreateAgreesOnOneKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := payloadcodec.LoadOrCreate(dir)
	require.NoError(t, err)
	b, err := payloadcodec.LoadOrCreate(dir)
	require.NoError(t, err)
	sealed, err := a.Encode([]*commonpb.Payload{payload(t, "x")})
	require.NoError(t, err)
	_, err = b.Decode(sealed)
	require.NoError(t, err)
}
