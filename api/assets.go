package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// staticAsset is a file the signing page loads: compressed once, at start,
// and versioned by its content's hash. Asked for by that version (?v=), a
// browser keeps it for a year and fetches it again only when it changes;
// asked for without, it revalidates it by ETag each time.
type staticAsset struct {
	contentType   string
	body, gzipped []byte
	version       string
}

// assetCacheAge is how long a versioned asset is kept: a year, the most
// caches honour.
const assetCacheAge = "public, max-age=31536000, immutable"

func newStaticAsset(contentType string, body []byte) *staticAsset {
	sum := sha256.Sum256(body)
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(body)
	_ = w.Close()
	a := &staticAsset{contentType: contentType, body: body, version: hex.EncodeToString(sum[:8])}
	if buf.Len() < len(body) {
		a.gzipped = buf.Bytes()
	}
	return a
}

// url is path with the asset's version.
func (a *staticAsset) url(path string) string { return path + "?v=" + a.version }

// serve answers with the asset; versioned says the request named its
// current version, so the answer may be kept.
func (a *staticAsset) serve(c *gin.Context, versioned bool) {
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Vary", "Accept-Encoding")
	etag := `"` + a.version + `"`
	c.Header("ETag", etag)
	if versioned {
		c.Header("Cache-Control", assetCacheAge)
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	if strings.Contains(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	if a.gzipped != nil && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, a.contentType, a.gzipped)
		return
	}
	c.Data(http.StatusOK, a.contentType, a.body)
}

// acceptsGzip reads Accept-Encoding as browsers send it: gzip listed, and
// not refused with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}
