package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
)

// requestError is a malformed request: answered 400 (or 413) with its message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// readCreateRequest accepts multipart/form-data (an "envelope" JSON part
// and PDF file parts, in order) or application/json with base64 documents.
func (s *Server) readCreateRequest(c *gin.Context) (signing.EnvelopeRequest, []signing.Upload, error) {
	limit := s.maxRequestBytes()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	var (
		spec signing.EnvelopeRequest
		docs []signing.Upload
		err  error
	)
	switch mediaType {
	case "multipart/form-data":
		spec, docs, err = s.readMultipart(c)
	case "application/json":
		spec, err = decodeSpec(c.Request.Body)
		if err == nil {
			docs, err = decodeDocuments(spec.Documents)
		}
	default:
		return spec, nil, &requestError{status: http.StatusUnsupportedMediaType,
			msg: "send multipart/form-data (an \"envelope\" JSON part and PDF file parts) or application/json with base64 documents"}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return spec, nil, &requestError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the request is larger than %d bytes; documents may be at most %d bytes each", limit, s.Limits.MaxBytes)}
	}
	return spec, docs, err
}

func (s *Server) readMultipart(c *gin.Context) (signing.EnvelopeRequest, []signing.Upload, error) {
	var spec signing.EnvelopeRequest
	var docs []signing.Upload
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return spec, nil, badRequest("the multipart body cannot be read: %v", err)
	}
	sawSpec := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return spec, nil, fmt.Errorf("read multipart part: %w", err)
		}
		switch {
		case part.FormName() == "envelope":
			if spec, err = decodeSpec(part); err != nil {
				return spec, nil, err
			}
			sawSpec = true
		case part.FileName() != "":
			if len(docs) == signing.MaxDocuments {
				return spec, nil, badRequest("at most %d documents per envelope", signing.MaxDocuments)
			}
			data, err := io.ReadAll(io.LimitReader(part, s.Limits.MaxBytes+1))
			if err != nil {
				return spec, nil, fmt.Errorf("read document part: %w", err)
			}
			docs = append(docs, signing.Upload{Name: part.FileName(), Data: data})
		default:
			return spec, nil, badRequest("unexpected multipart part %q: send one \"envelope\" JSON part and PDF file parts", part.FormName())
		}
	}
	if !sawSpec {
		return spec, nil, badRequest("the multipart body has no \"envelope\" part with the envelope JSON")
	}
	if len(spec.Documents) > 0 {
		return spec, nil, badRequest("with multipart, send documents as file parts, not in envelope.documents")
	}
	return spec, docs, nil
}

func decodeSpec(r io.Reader) (signing.EnvelopeRequest, error) {
	var spec signing.EnvelopeRequest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return spec, err
		}
		return spec, badRequest("the envelope JSON is invalid: %v", err)
	}
	return spec, nil
}

func decodeDocuments(specs []signing.DocumentRequest) ([]signing.Upload, error) {
	if len(specs) > signing.MaxDocuments {
		return nil, badRequest("at most %d documents per envelope", signing.MaxDocuments)
	}
	docs := make([]signing.Upload, 0, len(specs))
	for i, d := range specs {
		data, err := base64.StdEncoding.DecodeString(d.ContentBase64)
		if err != nil {
			return nil, badRequest("documents[%d].content_base64 is not valid base64: %v", i, err)
		}
		docs = append(docs, signing.Upload{Name: d.Name, Data: data})
	}
	return docs, nil
}
