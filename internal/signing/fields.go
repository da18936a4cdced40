package signing

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

// FieldTypes are the kinds of field a sender may place.
var FieldTypes = []string{models.FieldSignature, models.FieldInitials, models.FieldDateSigned, models.FieldText,
	models.FieldCheckbox, models.FieldNumber, models.FieldEmail, models.FieldRadio, models.FieldDropdown,
	models.FieldAttachment, models.FieldDate}

// Bounds of a field's own rules.
const (
	maxFieldName    = 100
	minOptions      = 2
	maxOptions      = 50
	maxOptionLength = 200
	maxPattern      = 200
	maxEmailLength  = 254
)

// choiceTypes take one of their options.
var choiceTypes = []string{models.FieldRadio, models.FieldDropdown}

// validateFieldRules checks what a field of each type may carry: options
// only for choices, a pattern only for text, bounds only for numbers.
func validateFieldRules(errs *FieldErrors, field string, f FieldRequest) {
	if utf8.RuneCountInString(f.Name) > maxFieldName || strings.TrimSpace(f.Name) != f.Name {
		errs.Add(field+".name", "give a name of at most %d characters without leading or trailing spaces", maxFieldName)
	}
	isChoice := slices.Contains(choiceTypes, f.Type)
	switch {
	case isChoice && (len(f.Options) < minOptions || len(f.Options) > maxOptions):
		errs.Add(field+".options", "a %s takes %d to %d options", f.Type, minOptions, maxOptions)
	case !isChoice && f.Options != nil:
		errs.Add(field+".options", "only radio and dropdown fields take options")
	}
	seen := map[string]bool{}
	for j, o := range f.Options {
		if o == "" || utf8.RuneCountInString(o) > maxOptionLength || seen[o] {
			errs.Add(fmt.Sprintf("%s.options[%d]", field, j), "each option is 1 to %d characters and different from the others", maxOptionLength)
		}
		CheckPrintable(errs, fmt.Sprintf("%s.options[%d]", field, j), o)
		seen[o] = true
	}
	if f.Pattern != "" {
		if f.Type != models.FieldText {
			errs.Add(field+".pattern", "only text fields take a pattern")
		} else if _, err := compilePattern(f.Pattern); err != nil || len(f.Pattern) > maxPattern {
			errs.Add(field+".pattern", "give a regular expression (RE2 syntax) of at most %d characters", maxPattern)
		}
	}
	if f.Min != nil || f.Max != nil {
		switch {
		case f.Type != models.FieldNumber && (f.Type != models.FieldCheckbox || f.Group == ""):
			errs.Add(field+".min", "only number fields and checkboxes of a group take min and max")
		case f.Min != nil && f.Max != nil && *f.Min > *f.Max:
			errs.Add(field+".max", "must be at least min")
		}
	}
	if f.MinLength != nil || f.MaxLength != nil {
		switch {
		case f.Type != models.FieldText && f.Type != models.FieldEmail:
			errs.Add(field+".min_length", "only text and email fields take min_length and max_length")
		case (f.MinLength != nil && *f.MinLength < 0) || (f.MaxLength != nil && (*f.MaxLength < 1 || *f.MaxLength > MaxTextLength)):
			errs.Add(field+".max_length", "lengths are from 0 (min_length) or 1 (max_length) to %d characters", MaxTextLength)
		case f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength:
			errs.Add(field+".max_length", "must be at least min_length")
		}
	}
	if f.Formula != "" {
		switch {
		case f.Type != models.FieldNumber:
			errs.Add(field+".formula", "only number fields take a formula")
		case f.Value != "" || f.ReadOnly:
			errs.Add(field+".formula", "a computed field takes no value from the sender")
		}
	}
	if f.MinDate != "" || f.MaxDate != "" {
		minDate, minErr := parseDay(f.MinDate)
		maxDate, maxErr := parseDay(f.MaxDate)
		switch {
		case f.Type != models.FieldDate:
			errs.Add(field+".min_date", "only date fields take min_date and max_date")
		case minErr != nil:
			errs.Add(field+".min_date", "give a day as YYYY-MM-DD, such as 2027-01-31")
		case maxErr != nil:
			errs.Add(field+".max_date", "give a day as YYYY-MM-DD, such as 2027-12-31")
		case f.MinDate != "" && f.MaxDate != "" && maxDate.Before(minDate):
			errs.Add(field+".max_date", "must be on or after min_date")
		}
	}
	if f.Group != "" && (f.Type != models.FieldCheckbox || utf8.RuneCountInString(f.Group) > maxFieldName) {
		errs.Add(field+".group", "only checkboxes join a group, named in at most %d characters", maxFieldName)
	}
}

// placeFormFields gives each field that names a form field of its
// document that field's page, box, type and options, unless the request
// sets them; the request's own slice is left as it was.
func placeFormFields(errs *FieldErrors, fields []FieldRequest, infos []*pdf.Info) []FieldRequest {
	out := slices.Clone(fields)
	for i := range out {
		f := &out[i]
		if f.FormField == "" {
			continue
		}
		doc := 0
		if f.Document != nil {
			doc = *f.Document
		}
		if doc < 0 || doc >= len(infos) || infos[doc] == nil {
			continue // the document's own problem is reported
		}
		j := slices.IndexFunc(infos[doc].FormFields, func(ff models.FormField) bool { return ff.Name == f.FormField })
		if j < 0 {
			errs.Add(fmt.Sprintf("fields[%d].form_field", i), "document %d has no form field %q; its form fields are listed on the envelope's documents", doc, f.FormField)
			continue
		}
		ff := infos[doc].FormFields[j]
		if f.Type == "" {
			f.Type = ff.Type
		}
		if f.Page == 0 {
			f.Page = ff.Page
		}
		if f.X == nil && f.Y == nil && f.Width == nil && f.Height == nil {
			f.X, f.Y, f.Width, f.Height = &ff.X, &ff.Y, &ff.Width, &ff.Height
		}
		if f.Options == nil && slices.Contains(choiceTypes, f.Type) {
			f.Options = ff.Options
		}
		if f.Name == "" {
			f.Name = ff.Name
		}
	}
	return out
}

// prefillTypes may carry a value from the sender.
var prefillTypes = []string{models.FieldText, models.FieldNumber, models.FieldEmail, models.FieldRadio,
	models.FieldDropdown, models.FieldCheckbox, models.FieldDate}

// parseDay reads a day as DateSignedFormat; "" is no day, and no error.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(models.DateSignedFormat, s)
}

// validatePrefill checks a sender's value against the field's own rules,
// as a recipient's would be.
func validatePrefill(errs *FieldErrors, field string, f FieldRequest) {
	switch {
	case f.Value == "" && f.ReadOnly:
		errs.Add(field+".read_only", "a read-only field needs the value the sender fills in")
	case f.Value == "":
	case !slices.Contains(prefillTypes, f.Type):
		errs.Add(field+".value", "only %s fields take a value from the sender", strings.Join(prefillTypes, ", "))
	case f.Type == models.FieldCheckbox:
		if f.Value != "true" && f.Value != "false" {
			errs.Add(field+".value", "a checkbox is prefilled with \"true\" or \"false\"")
		}
	default:
		if _, msg := checkEntry(requestedField(f), ValueInput{Text: f.Value}); msg != "" {
			errs.Add(field+".value", "%s", msg)
		}
	}
}

// prefill is the value a field starts with, as it is stored.
func prefill(f FieldRequest) string {
	if f.Type == models.FieldCheckbox {
		if f.Value == "true" {
			return "true"
		}
		return ""
	}
	text, _ := checkEntry(requestedField(f), ValueInput{Text: f.Value})
	return text
}

func requestedField(f FieldRequest) models.Field {
	return models.Field{Type: f.Type, Name: f.Name, Page: f.Page, Options: f.Options, Pattern: f.Pattern,
		MinValue: f.Min, MaxValue: f.Max, SmartRules: models.SmartRules{MinLength: f.MinLength, MaxLength: f.MaxLength,
			MinDate: f.MinDate, MaxDate: f.MaxDate}}
}

// compilePattern anchors a field's pattern to the whole value.
func compilePattern(p string) (*regexp.Regexp, error) { return regexp.Compile(`^(?:` + p + `)$`) }

// checkEntry validates a typed value of a text, number, email or choice
// field; msg says what to fix, naming the field.
func checkEntry(f models.Field, v ValueInput) (text, msg string) {
	if v.ImagePNGBase64 != "" || v.Checked != nil || v.Attachment != nil {
		return "", fmt.Sprintf("%s takes \"text\"", describeField(f))
	}
	text = strings.TrimSpace(v.Text)
	if utf8.RuneCountInString(text) > MaxTextLength {
		return "", fmt.Sprintf("%s takes at most %d characters", describeField(f), MaxTextLength)
	}
	if text == "" {
		return "", ""
	}
	if msg := unprintable(text); msg != "" {
		return "", msg
	}
	if n := utf8.RuneCountInString(text); (f.MinLength != nil && n < *f.MinLength) || (f.MaxLength != nil && n > *f.MaxLength) {
		return "", fmt.Sprintf("%s takes %s characters", describeField(f), lengths(f))
	}
	switch f.Type {
	case models.FieldText:
		if f.Pattern != "" {
			re, err := compilePattern(f.Pattern)
			if err != nil || !re.MatchString(text) {
				return "", fmt.Sprintf("%s must match the pattern %s", describeField(f), f.Pattern)
			}
		}
	case models.FieldEmail:
		if len(text) > maxEmailLength || !ValidEmail(text) {
			return "", fmt.Sprintf("%s takes an email address such as ada@example.com", describeField(f))
		}
	case models.FieldNumber:
		n, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "", fmt.Sprintf("%s takes a number such as 42 or 3.5", describeField(f))
		}
		if (f.MinValue != nil && n < *f.MinValue) || (f.MaxValue != nil && n > *f.MaxValue) {
			return "", fmt.Sprintf("%s takes a number %s", describeField(f), bounds(f))
		}
		text = strconv.FormatFloat(n, 'f', -1, 64)
	case models.FieldRadio, models.FieldDropdown:
		if !slices.Contains(f.Options, text) {
			return "", fmt.Sprintf("%s takes one of: %s", describeField(f), strings.Join(f.Options, ", "))
		}
	case models.FieldDate:
		day, err := time.Parse(models.DateSignedFormat, text)
		if err != nil {
			return "", fmt.Sprintf("%s takes a day as YYYY-MM-DD, such as 2027-01-31", describeField(f))
		}
		if (f.MinDate != "" && text < f.MinDate) || (f.MaxDate != "" && text > f.MaxDate) {
			return "", fmt.Sprintf("%s takes a day %s", describeField(f), dayBounds(f))
		}
		text = day.Format(models.DateSignedFormat)
	}
	return text, ""
}

// describeField names a field in a message: by its name when it has one.
func describeField(f models.Field) string {
	if f.Name != "" {
		return fmt.Sprintf("the %s field %q", f.Type, f.Name)
	}
	return fmt.Sprintf("the %s field %s (page %d)", f.Type, f.ID, f.Page)
}

func bounds(f models.Field) string {
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case f.MinValue != nil && f.MaxValue != nil:
		return "from " + format(*f.MinValue) + " to " + format(*f.MaxValue)
	case f.MinValue != nil:
		return "of at least " + format(*f.MinValue)
	default:
		return "of at most " + format(*f.MaxValue)
	}
}

func dayBounds(f models.Field) string {
	switch {
	case f.MinDate != "" && f.MaxDate != "":
		return "from " + f.MinDate + " to " + f.MaxDate
	case f.MinDate != "":
		return "on or after " + f.MinDate
	default:
		return "on or before " + f.MaxDate
	}
}

func lengths(f models.Field) string {
	switch {
	case f.MinLength != nil && f.MaxLength != nil:
		return fmt.Sprintf("%d to %d", *f.MinLength, *f.MaxLength)
	case f.MinLength != nil:
		return fmt.Sprintf("at least %d", *f.MinLength)
	default:
		return fmt.Sprintf("at most %d", *f.MaxLength)
	}
}
