// Package signing holds Signflow's signing rules, apart from HTTP and
// Temporal: what makes a valid envelope, template, field and value
// (attachments and text tags included) and a strong access code.
// Services and handlers call these rules and render what they return.
package signing

import "fmt"

// FieldError names one input field and what to change about it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors collects validation failures in the order found.
type FieldErrors []FieldError

// Add records what is wrong with field.
func (fe *FieldErrors) Add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Error lets a request's problems travel as an error to the handler that
// answers them.
func (fe FieldErrors) Error() string {
	if len(fe) == 0 {
		return "no problems"
	}
	return fmt.Sprintf("%s: %s (and %d more)", fe[0].Field, fe[0].Message, len(fe)-1)
}
