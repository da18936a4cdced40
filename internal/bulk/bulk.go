// Package bulk reads bulk sends: a template and one row per envelope, as
// JSON or CSV, checked row by row within bounds on rows, columns and size.
package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/signflow/signflow/internal/signing"
)

// MaxRows is the most rows one bulk send takes.
const MaxRows = 10_000

// A CSV's header is bounded before it is parsed, so that a line of a
// million columns costs a peek, not a million strings and closures.
const (
	maxBulkColumns    = 500
	maxBulkHeaderLine = 64 << 10
)

// Request is the JSON body of POST /v1/bulk-sends: a template and a
// row per envelope.
type Request struct {
	TemplateID      string `json:"template_id"`
	TemplateVersion int    `json:"template_version"`
	Rows            []Row  `json:"rows"`
}

// Row is one envelope of a bulk send: the people of the template's
// roles, its prefilled values, and what it overrides.
type Row struct {
	Roles    []signing.RoleAssignment `json:"roles"`
	Values   []signing.Prefill        `json:"values,omitempty"`
	Subject  string                   `json:"subject,omitempty"`
	Message  string                   `json:"message,omitempty"`
	Settings signing.SettingsRequest  `json:"settings,omitzero"`
}

// Envelope is the row as an envelope request of the template.
func (r Row) Envelope() signing.EnvelopeRequest {
	return signing.EnvelopeRequest{Roles: r.Roles, Values: r.Values, Subject: r.Subject, Message: r.Message, Settings: r.Settings}
}

// Check bounds a bulk send; its rows are checked one by one as they
// are sent, so that a bad row never stops the others.
func Check(req Request) signing.FieldErrors {
	var errs signing.FieldErrors
	if req.TemplateID == "" {
		errs.Add("template_id", "name the template to send")
	}
	if len(req.Rows) == 0 || len(req.Rows) > MaxRows {
		errs.Add("rows", "send 1 to %d rows", MaxRows)
	}
	return errs
}

// ParseCSV reads rows from CSV whose header names each column:
// "<role>.name", "<role>.email", "<role>.phone", "<role>.delivery", "<role>.access_code",
// "<role>.locale" and "<role>.authentication" for a template role, "value.<field name>" for a
// prefilled value, "subject" and "message". An empty cell gives nothing.
// A failure to read r (not to parse it) is returned as the error.
func ParseCSV(r io.Reader) ([]Row, signing.FieldErrors, error) {
	br := bufio.NewReaderSize(r, maxBulkHeaderLine)
	if errs, err := checkBulkHeader(br); len(errs) > 0 || err != nil {
		return nil, errs, err
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, signing.FieldErrors{{Field: "csv", Message: "the CSV is empty; its first line names the columns"}}, nil
	}
	if unread := readFailure(err); unread != nil {
		return nil, nil, unread
	}
	if err != nil {
		return nil, signing.FieldErrors{{Field: "csv", Message: "the CSV cannot be read: " + err.Error()}}, nil
	}
	columns := make([]func(*Row, string), len(header))
	var errs signing.FieldErrors
	for i, name := range header {
		if columns[i] = csvColumn(strings.TrimSpace(name)); columns[i] == nil {
			errs.Add(fmt.Sprintf("csv.columns[%d]", i), "%q is not a column: use <role>.name, <role>.email, <role>.phone, <role>.delivery, <role>.access_code, <role>.authentication, <role>.locale, value.<field name>, subject or message", name)
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	var rows []Row
	for line := 2; ; line++ {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if unread := readFailure(err); unread != nil {
			return nil, nil, unread
		}
		if err != nil {
			return nil, signing.FieldErrors{{Field: "csv", Message: fmt.Sprintf("line %d cannot be read: %v", line, err)}}, nil
		}
		if len(rows) == MaxRows {
			return nil, signing.FieldErrors{{Field: "rows", Message: fmt.Sprintf("send at most %d rows", MaxRows)}}, nil
		}
		var row Row
		for i, cell := range record {
			if cell = strings.TrimSpace(cell); cell != "" {
				columns[i](&row, cell)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil, nil
}

// readFailure is err when reading failed, as opposed to parsing.
func readFailure(err error) error {
	var parse *csv.ParseError
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, &parse) {
		return nil
	}
	return err
}

// checkBulkHeader peeks at the header line and bounds its length and
// columns before the CSV reader splits it.
func checkBulkHeader(br *bufio.Reader) (signing.FieldErrors, error) {
	line, err := br.Peek(maxBulkHeaderLine)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if err == nil {
		return signing.FieldErrors{{Field: "csv", Message: fmt.Sprintf("the header line is longer than %d bytes", maxBulkHeaderLine)}}, nil
	}
	if n := bytes.Count(line, []byte(",")) + 1; n > maxBulkColumns {
		return signing.FieldErrors{{Field: "csv", Message: fmt.Sprintf("the header names %d columns; at most %d", n, maxBulkColumns)}}, nil
	}
	return nil, nil
}

// csvColumn sets what a column gives a row; nil for an unknown column.
func csvColumn(name string) func(*Row, string) {
	switch name {
	case "subject":
		return func(r *Row, v string) { r.Subject = v }
	case "message":
		return func(r *Row, v string) { r.Message = v }
	}
	if field, ok := strings.CutPrefix(name, "value."); ok && field != "" {
		return func(r *Row, v string) { r.Values = append(r.Values, signing.Prefill{Name: field, Value: v}) }
	}
	i := strings.LastIndex(name, ".")
	if i <= 0 {
		return nil
	}
	role, attr := name[:i], name[i+1:]
	set := map[string]func(*signing.RoleAssignment, string){
		"name":           func(a *signing.RoleAssignment, v string) { a.Name = v },
		"email":          func(a *signing.RoleAssignment, v string) { a.Email = v },
		"access_code":    func(a *signing.RoleAssignment, v string) { a.AccessCode = v },
		"authentication": func(a *signing.RoleAssignment, v string) { a.Authentication = v },
		"locale":         func(a *signing.RoleAssignment, v string) { a.Locale = v },
		"phone":          func(a *signing.RoleAssignment, v string) { a.Phone = v },
		"delivery":       func(a *signing.RoleAssignment, v string) { a.Delivery = v },
	}[attr]
	if set == nil {
		return nil
	}
	return func(r *Row, v string) {
		for i := range r.Roles {
			if r.Roles[i].Role == role {
				set(&r.Roles[i], v)
				return
			}
		}
		r.Roles = append(r.Roles, signing.RoleAssignment{Role: role})
		set(&r.Roles[len(r.Roles)-1], v)
	}
}
