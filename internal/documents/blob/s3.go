package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says where an S3-compatible bucket is and how to reach it.
type S3Config struct {
	// URL is s3://bucket/prefix.
	URL string
	// Endpoint is the service's URL; http:// turns TLS off.
	Endpoint string
	Region   string
	// AccessKey and SecretKey are static credentials; without them the
	// AWS environment variables or the instance's IAM role are used.
	AccessKey, SecretKey string
}

// S3 is a Store in an S3-compatible bucket, which every API and worker
// host shares. A PUT is atomic in S3: readers see the old object or the
// new, never a part, as with Dir.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// OpenS3 connects to the bucket and checks that it exists, so a wrong
// name or credential stops the process at start, not at the first upload.
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("blob URL %q: want s3://bucket/prefix", cfg.URL)
	}
	endpoint, err := url.Parse(cfg.Endpoint)
	if err != nil || (endpoint.Scheme != "https" && endpoint.Scheme != "http") || endpoint.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want https://host[:port] (or http:// on a private network)", cfg.Endpoint)
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.IAM{}})
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	client, err := minio.New(endpoint.Host, &minio.Options{Creds: creds, Secure: endpoint.Scheme == "https", Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("object storage client: %w", err)
	}
	s := &S3{client: client, bucket: u.Host, prefix: strings.Trim(u.Path, "/")}
	exists, err := client.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("reach bucket %s at %s: %w", s.bucket, endpoint.Host, err)
	}
	if !exists {
		return nil, fmt.Errorf("bucket %s does not exist at %s", s.bucket, endpoint.Host)
	}
	return s, nil
}

func (s *S3) object(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return path.Join(s.prefix, key), nil
}

// Put stores data under key.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true})
	if err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return nil
}

// Delete removes the object under key; S3 answers a missing one as done.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}

// Walk calls fn with every key the bucket holds under the prefix.
func (s *S3) Walk(ctx context.Context, fn func(key string) error) error {
	prefix := ""
	if s.prefix != "" {
		prefix = strings.TrimSuffix(s.prefix, "/") + "/"
	}
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list blobs: %w", obj.Err)
		}
		if err := fn(strings.TrimPrefix(obj.Key, prefix)); err != nil {
			return err
		}
	}
	return nil
}

// Get reads the bytes under key.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "NoSuchKey" {
			return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("read blob %s: %w", key, err)
	}
	return data, nil
}
