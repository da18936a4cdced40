package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/pdf"
)

// envelopeSpec is the body of POST /v1/envelopes.
type envelopeSpec struct {
	Subject    string          `json:"subject"`
	Message    string          `json:"message"`
	Documents  []documentSpec  `json:"documents"`
	Recipients []recipientSpec `json:"recipients"`
	Fields     []fieldSpec     `json:"fields"`
	Settings   settingsSpec    `json:"settings"`
}

type documentSpec struct {
	Name          string `json:"name"`
	ContentBase64 string `json:"content_base64"`
}

type recipientSpec struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	RoutingOrder *int   `json:"routing_order"`
	Meaning      string `json:"meaning"`
	// Authentication is email_otp (default), access_code, both or none.
	Authentication string `json:"authentication"`
	AccessCode     string `json:"access_code"`
}

// fieldSpec places a field. Recipient and Document are indexes into the
// request's recipients and documents, counted from 0.
type fieldSpec struct {
	Recipient *int     `json:"recipient"`
	Document  *int     `json:"document"`
	Type      string   `json:"type"`
	Page      int      `json:"page"`
	X         *float64 `json:"x"`
	Y         *float64 `json:"y"`
	Width     *float64 `json:"width"`
	Height    *float64 `json:"height"`
	Required  *bool    `json:"required"`
}

type settingsSpec struct {
	ExpiresIn        string `json:"expires_in"`
	ExpiryWarning    string `json:"expiry_warning"`
	ReminderInterval string `json:"reminder_interval"`
	ReminderCount    *int   `json:"reminder_count"`
}

// upload is one document's bytes with the name it arrived under.
type upload struct {
	name string
	data []byte
}

const (
	maxDocuments  = 10
	maxRecipients = 50
	maxFields     = 500
	maxSpecBytes  = 1 << 20
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
func (s *Server) readCreateRequest(c *gin.Context) (envelopeSpec, []upload, error) {
	limit := s.maxRequestBytes()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	var (
		spec envelopeSpec
		docs []upload
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

func (s *Server) readMultipart(c *gin.Context) (envelopeSpec, []upload, error) {
	var spec envelopeSpec
	var docs []upload
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
			if len(docs) == maxDocuments {
				return spec, nil, badRequest("at most %d documents per envelope", maxDocuments)
			}
			data, err := io.ReadAll(io.LimitReader(part, s.Limits.MaxBytes+1))
			if err != nil {
				return spec, nil, fmt.Errorf("read document part: %w", err)
			}
			docs = append(docs, upload{name: part.FileName(), data: data})
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

func decodeSpec(r io.Reader) (envelopeSpec, error) {
	var spec envelopeSpec
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

func decodeDocuments(specs []documentSpec) ([]upload, error) {
	if len(specs) > maxDocuments {
		return nil, badRequest("at most %d documents per envelope", maxDocuments)
	}
	docs := make([]upload, 0, len(specs))
	for i, d := range specs {
		data, err := base64.StdEncoding.DecodeString(d.ContentBase64)
		if err != nil {
			return nil, badRequest("documents[%d].content_base64 is not valid base64: %v", i, err)
		}
		docs = append(docs, upload{name: d.Name, data: data})
	}
	return docs, nil
}

// inspectDocuments checks every upload and records its geometry.
func (s *Server) inspectDocuments(docs []upload) ([]*pdf.Info, fieldErrors) {
	var errs fieldErrors
	if len(docs) == 0 {
		errs.add("documents", "add at least one PDF document")
	}
	infos := make([]*pdf.Info, len(docs))
	for i, d := range docs {
		field := fmt.Sprintf("documents[%d]", i)
		if strings.TrimSpace(d.name) == "" {
			errs.add(field+".name", "give the document a file name")
		}
		info, err := pdf.Inspect(d.data, s.Limits)
		if err != nil {
			errs.add(field, "%v", err)
			continue
		}
		infos[i] = info
	}
	return infos, errs
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsAny(s, " <>")
}
