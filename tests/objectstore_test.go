package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/wiring"
	"github.com/signflow/signflow/models"
)

// The test object store's root credentials.
const (
	s3AccessKey = "signflow-test"
	s3SecretKey = "signflow-test-secret"
)

// minioServer is an S3-compatible server of MinIO's, built from the Go
// module proxy at a pinned version, with its data in dir; it can be
// stopped and started again on the same address, as an outage would.
type minioServer struct {
	bin, dir, addr string
	log            io.Writer
	cmd            *exec.Cmd
}

func (m *minioServer) start() error {
	m.cmd = exec.Command(m.bin, "server", m.dir, "--address", m.addr, "--console-address", freePort(), "--quiet")
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s3AccessKey, "MINIO_ROOT_PASSWORD="+s3SecretKey, "MINIO_BROWSER=off")
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start minio: %w", err)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + m.addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	m.stop()
	return fmt.Errorf("minio did not become live at %s", m.addr)
}

func (m *minioServer) stop() { _ = m.cmd.Process.Kill(); _ = m.cmd.Wait() }

func (m *minioServer) endpoint() string { return "http://" + m.addr }

// startMinio runs the suite's MinIO.
func startMinio(bin string, log io.Writer) (func(), error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("MinIO is not at %s: run `make test`, which installs the pinned version", bin)
	}
	m := &minioServer{bin: bin, dir: filepath.Join(suite.tmp, "minio"), addr: freePort(), log: log}
	if err := m.start(); err != nil {
		return nil, err
	}
	suite.s3Endpoint = m.endpoint()
	return m.stop, nil
}

// newBucket makes a bucket of the test's own and returns its s3:// URL.
func newBucket(t testing.TB) string {
	t.Helper()
	return newBucketOn(t, suite.s3Endpoint)
}

func newBucketOn(t testing.TB, endpoint string) string {
	t.Helper()
	c, err := minio.New(endpoint[len("http://"):], &minio.Options{Creds: credentials.NewStaticV4(s3AccessKey, s3SecretKey, "")})
	require.NoError(t, err)
	name := "t" + strconv.FormatInt(time.Now().UnixNano(), 36)
	require.NoError(t, c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}))
	return "s3://" + name + "/signflow"
}

func s3Config(url string) blob.S3Config {
	return blob.S3Config{URL: url, Endpoint: suite.s3Endpoint, AccessKey: s3AccessKey, SecretKey: s3SecretKey}
}

func TestObjectStorageKeepsBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := blob.OpenS3(ctx, s3Config(newBucket(t)))
	require.NoError(t, err)

	key := blob.OriginalKey("env-1", "doc-1")
	_, err = store.Get(ctx, key)
	require.ErrorIs(t, err, blob.ErrNotFound)
	pdf := contractPDF(t)
	require.NoError(t, store.Put(ctx, key, pdf))
	got, err := store.Get(ctx, key)
	require.NoError(t, err)
	require.Equal(t, pdf, got)
	require.NoError(t, store.Put(ctx, key, pdf), "a retried put is harmless")

	require.NoError(t, store.Delete(ctx, key))
	_, err = store.Get(ctx, key)
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, store.Delete(ctx, key), "deleting what is gone is done")
	require.NoError(t, store.Put(ctx, key, pdf))

	for _, bad := range []string{"", "../escape", "/absolute"} {
		require.Error(t, store.Put(ctx, bad, pdf), bad)
	}

	// Many hosts writing and reading at once.
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			k := blob.SignatureImageKey("env-2", strconv.Itoa(i))
			require.NoError(t, store.Put(ctx, k, []byte(k)))
			got, err := store.Get(ctx, k)
			require.NoError(t, err)
			require.Equal(t, k, string(got))
		})
	}
	wg.Wait()
}

// A wrong bucket, endpoint or credential stops the process at start.
func TestObjectStorageMisconfigurationFailsAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newBucket(t)
	for name, cfg := range map[string]blob.S3Config{
		"missing bucket":   s3Config("s3://no-such-bucket-here/x"),
		"wrong secret":     {URL: url, Endpoint: suite.s3Endpoint, AccessKey: s3AccessKey, SecretKey: "wrong"},
		"not an s3 URL":    s3Config("https://bucket/x"),
		"endpoint no host": {URL: url, Endpoint: "s3.example.com"},
	} {
		_, err := blob.OpenS3(ctx, cfg)
		require.Error(t, err, name)
	}
}

// systemOn runs an API and a worker of their own keeping blobs in store,
// encrypted as in production.
func systemOn(t *testing.T, store blob.Store) (wiring.Deps, string) {
	t.Helper()
	d := suite.deps
	d.Blobs = blob.Encrypted{Inner: store, Keys: suite.dataKeys}
	queue := "s3-" + newTestID()
	startWorker(t, d, testSettings(queue))
	return d, serveAPI(t, d, testSettings(queue))
}

// The whole lifecycle on object storage, encrypted at rest: documents in,
// final PDF out.
func TestEnvelopeCompletesOnObjectStorage(t *testing.T) {
	t.Parallel()
	store, err := blob.OpenS3(context.Background(), s3Config(newBucket(t)))
	require.NoError(t, err)
	d, base := systemOn(t, store)
	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, doc := str(created, "id"), str(created, "documents", 0, "id")
	status, body := signAs(t, str(created, "recipients", 0, "signing_api_url"), "Alice Adams")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, id).Status)

	status, final := download(t, base+"/v1/envelopes/"+id+"/documents/"+doc+"/final")
	require.Equal(t, http.StatusOK, status)
	stored, err := d.Blobs.Get(context.Background(), blob.FinalKey(id, doc))
	require.NoError(t, err)
	require.Equal(t, stored, final, "the final PDF is the one in the bucket")
	// A copy of the bucket alone reveals nothing.
	for _, key := range []string{blob.FinalKey(id, doc), blob.OriginalKey(id, doc)} {
		raw, err := store.Get(context.Background(), key)
		require.NoError(t, err)
		require.False(t, bytes.Contains(raw, []byte("%PDF")), "%s is encrypted at rest", key)
	}
	_, err = os.Stat(filepath.Join(suite.tmp, "blobs", "envelopes", id))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing of it is on the local disk")
}

// The object store gone for a while delays, and loses nothing: creation
// answers 503 with Retry-After meanwhile and succeeds on its retry, a
// signature made during the outage stands, and the envelope completes once
// the store is back.
func TestAnObjectStoreOutageDelaysButLosesNothing(t *testing.T) {
	t.Parallel()
	logs, err := os.Create(filepath.Join(t.TempDir(), "minio.log"))
	require.NoError(t, err)
	m := &minioServer{bin: filepath.Join(suite.root, "bin", "minio"), dir: t.TempDir(), addr: freePort(), log: logs}
	require.NoError(t, m.start())
	t.Cleanup(m.stop)
	url := newBucketOn(t, m.endpoint())
	store, err := blob.OpenS3(context.Background(), blob.S3Config{URL: url, Endpoint: m.endpoint(), AccessKey: s3AccessKey, SecretKey: s3SecretKey})
	require.NoError(t, err)
	_, base := systemOn(t, store)

	status, created := postJSON(t, base+"/v1/envelopes", jsonEnvelope(t, []J{signer("alice", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := str(created, "id")

	m.stop()
	spec := jsonEnvelope(t, []J{signer("bob", 1)}, []J{fieldAt(0, "signature", 1, aliceSig)})
	key := map[string]string{"Idempotency-Key": "outage-" + id}
	status, body := sendWith(t, http.MethodPost, base+"/v1/envelopes", "application/json", jsonBody(t, spec), key)
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	status, body = signAs(t, str(created, "recipients", 0, "signing_api_url"), "Alice Adams")
	require.Equal(t, http.StatusOK, status, "a typed signature needs no object store: %v", body)

	require.NoError(t, m.start())
	require.Equal(t, models.EnvelopeCompleted, awaitWorkflow(t, id).Status, "rendering waits for the store, then completes")
	status, final := download(t, base+"/v1/envelopes/"+id+"/documents/"+str(created, "documents", 0, "id")+"/final")
	require.Equal(t, http.StatusOK, status)
	require.True(t, bytes.HasPrefix(final, []byte("%PDF")))
	status, body = sendWith(t, http.MethodPost, base+"/v1/envelopes", "application/json", jsonBody(t, spec), key)
	require.Equal(t, http.StatusCreated, status, "the retry with the same key succeeds: %v", body)
}
