package signing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/signflow/signflow/models"
)

// TemplateRequest is the body of POST and PUT /v1/templates: an envelope
// whose recipients are roles, placeholders filled in at sending. Fields
// name their role by its index in roles.
type TemplateRequest struct {
	Name      string            `json:"name"`
	Subject   string            `json:"subject"`
	Message   string            `json:"message"`
	Documents []DocumentRequest `json:"documents"`
	Roles     []TemplateRole    `json:"roles"`
	Fields    []FieldRequest    `json:"fields"`
	Settings  SettingsRequest   `json:"settings"`
}

// TemplateRole is a placeholder such as "Employee": everything about a
// recipient but who they are.
type TemplateRole struct {
	Name           string `json:"name"`
	Role           string `json:"role,omitempty"`
	RoutingOrder   *int   `json:"routing_order,omitempty"`
	Meaning        string `json:"meaning,omitempty"`
	Authentication string `json:"authentication,omitempty"`
	// IdentityVerification: whoever takes the role must be confirmed by
	// the integrator's identity-verification provider ("required").
	IdentityVerification string `json:"identity_verification,omitempty"`
	// Reauthenticate: whoever takes the role proves their factor again
	// just before signing.
	Reauthenticate bool `json:"reauthenticate,omitempty"`
}

// TemplateDefinition is a template version as stored: the request, with
// its documents' blob keys instead of their bytes.
type TemplateDefinition struct {
	Subject   string             `json:"subject"`
	Message   string             `json:"message"`
	Documents []TemplateDocument `json:"documents"`
	Roles     []TemplateRole     `json:"roles"`
	Fields    []FieldRequest     `json:"fields"`
	Settings  SettingsRequest    `json:"settings"`
}

// TemplateDocument is a template's document in the blob store.
type TemplateDocument struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Key    string `json:"key"`
}

// RoleAssignment names the person who takes a template's role.
type RoleAssignment struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Authentication overrides the role's; AccessCode is this person's.
	Authentication string `json:"authentication"`
	AccessCode     string `json:"access_code"`
	Locale         string `json:"locale,omitempty"`
	// Phone is this person's mobile number, for texts; Delivery how
	// notifications reach them (email, sms or both).
	Phone    string `json:"phone,omitempty"`
	Delivery string `json:"delivery,omitempty"`
}

// Prefill gives a template field, by name, its value for this envelope.
type Prefill struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	ReadOnly *bool  `json:"read_only"`
}

const (
	maxTemplateName = 200
	// placeholderCode stands in for an access code while a template is
	// checked: each envelope gets its recipient's own.
	placeholderCode = "template-placeholder-code"
	// placeholderPhone stands in for the phone of a role that confirms
	// with a code by text.
	placeholderPhone = "+4915123456789"
)

// PrepareTemplate checks a template as the envelope it would make, so a
// template that passes makes envelopes that pass; problems are named by
// the template's own fields (roles, not recipients).
func PrepareTemplate(req TemplateRequest, docs []Upload, rules Rules) FieldErrors {
	var errs FieldErrors
	if name := strings.TrimSpace(req.Name); name == "" || len(name) > maxTemplateName {
		errs.Add("name", "give the template a name of 1 to %d characters", maxTemplateName)
	}
	if len(req.Roles) == 0 {
		errs.Add("roles", "add at least one role, such as {\"name\": \"Employee\", \"role\": \"signer\"}")
	}
	seen := map[string]bool{}
	for i, r := range req.Roles {
		if strings.TrimSpace(r.Name) == "" || seen[r.Name] {
			errs.Add(fmt.Sprintf("roles[%d].name", i), "give each role its own name, such as Employee or Manager")
		}
		seen[r.Name] = true
	}
	if len(errs) > 0 {
		return errs
	}
	spec := EnvelopeRequest{Subject: req.Subject, Message: req.Message, Fields: req.Fields, Settings: req.Settings}
	for i, r := range req.Roles {
		spec.Recipients = append(spec.Recipients, placeholder(i, r))
	}
	_, errs = Prepare(spec, docs, rules)
	for i := range errs {
		errs[i].Field = renamePrefix(errs[i].Field, "recipients", "roles")
	}
	return errs
}

// placeholder is a role as a recipient, for checking the template.
func placeholder(i int, r TemplateRole) RecipientRequest {
	rr := RecipientRequest{Name: r.Name, Email: fmt.Sprintf("role%d@example.invalid", i), Role: r.Role,
		RoutingOrder: r.RoutingOrder, Meaning: r.Meaning, Authentication: r.Authentication, IdentityVerification: r.IdentityVerification,
		Reauthenticate: r.Reauthenticate}
	if a := authentication(rr); a == models.AuthAccessCode || a == models.AuthBoth {
		rr.AccessCode = placeholderCode
	}
	if authentication(rr) == models.AuthSMSOTP {
		rr.Phone = placeholderPhone // each person's own comes with them
	}
	return rr
}

func renamePrefix(field, from, to string) string {
	if rest, ok := strings.CutPrefix(field, from); ok {
		return to + rest
	}
	return field
}

// Definition is what a template version stores.
func (req TemplateRequest) Definition(docs []TemplateDocument) TemplateDefinition {
	return TemplateDefinition{Subject: req.Subject, Message: req.Message, Documents: docs, Roles: req.Roles,
		Fields: req.Fields, Settings: req.Settings}
}

// Marshal is the stored JSON of a definition.
func (d TemplateDefinition) Marshal() (string, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode template definition: %w", err)
	}
	return string(data), nil
}

// ParseDefinition reads a stored definition.
func ParseDefinition(stored string) (TemplateDefinition, error) {
	var d TemplateDefinition
	if err := json.Unmarshal([]byte(stored), &d); err != nil {
		return d, fmt.Errorf("decode template definition: %w", err)
	}
	return d, nil
}

// FromTemplate is the envelope request a template definition makes with
// the people, prefilled values and overrides of req. The result still goes
// through Prepare, like any envelope.
func FromTemplate(def TemplateDefinition, req EnvelopeRequest) (EnvelopeRequest, FieldErrors) {
	var errs FieldErrors
	if len(req.Documents) > 0 || len(req.Recipients) > 0 || len(req.Fields) > 0 {
		errs.Add("template_id", "an envelope from a template takes roles and values, not documents, recipients or fields")
		return req, errs
	}
	out := EnvelopeRequest{Subject: def.Subject, Message: def.Message, Settings: def.Settings, Locale: req.Locale}
	if req.Subject != "" {
		out.Subject = req.Subject
	}
	if req.Message != "" {
		out.Message = req.Message
	}
	out.Settings = overrideSettings(def.Settings, req.Settings)
	assigned := map[string]int{}
	for i, a := range req.Roles {
		if _, twice := assigned[a.Role]; twice {
			errs.Add(fmt.Sprintf("roles[%d].role", i), "role %q is given twice", a.Role)
		}
		assigned[a.Role] = i
	}
	for i, a := range req.Roles {
		if !slices.ContainsFunc(def.Roles, func(r TemplateRole) bool { return r.Name == a.Role }) {
			errs.Add(fmt.Sprintf("roles[%d].role", i), "the template has no role %q; its roles are %s", a.Role, roleNames(def.Roles))
		}
	}
	for _, r := range def.Roles {
		i, ok := assigned[r.Name]
		if !ok {
			errs.Add("roles", "say who takes the role %q", r.Name)
			continue
		}
		a := req.Roles[i]
		auth := r.Authentication
		if a.Authentication != "" {
			auth = a.Authentication
		}
		out.Recipients = append(out.Recipients, RecipientRequest{Name: a.Name, Email: a.Email, Role: r.Role,
			RoutingOrder: r.RoutingOrder, Meaning: r.Meaning, Authentication: auth, AccessCode: a.AccessCode, Locale: a.Locale, Phone: a.Phone, Delivery: a.Delivery,
			IdentityVerification: r.IdentityVerification, Reauthenticate: r.Reauthenticate})
	}
	out.Fields = append([]FieldRequest(nil), def.Fields...)
	for i, p := range req.Values {
		j := fieldNamed(out.Fields, p.Name)
		if j < 0 {
			errs.Add(fmt.Sprintf("values[%d].name", i), "the template has no field named %q", p.Name)
			continue
		}
		out.Fields[j].Value = p.Value
		if p.ReadOnly != nil {
			out.Fields[j].ReadOnly = *p.ReadOnly
		}
	}
	if len(errs) > 0 {
		return req, errs
	}
	// Every role has its person, in the roles' order: the fields' indexes
	// into roles are indexes into recipients.
	return out, nil
}

func overrideSettings(base, over SettingsRequest) SettingsRequest {
	if over.ExpiresIn != "" {
		base.ExpiresIn = over.ExpiresIn
	}
	if over.ExpiryWarning != "" {
		base.ExpiryWarning = over.ExpiryWarning
	}
	if over.ReminderInterval != "" {
		base.ReminderInterval = over.ReminderInterval
	}
	if over.ReminderCount != nil {
		base.ReminderCount = over.ReminderCount
	}
	base.AllowReassign = base.AllowReassign || over.AllowReassign
	return base
}

func roleNames(roles []TemplateRole) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = fmt.Sprintf("%q", r.Name)
	}
	return strings.Join(names, ", ")
}

func fieldNamed(fields []FieldRequest, name string) int {
	for i, f := range fields {
		if name != "" && f.Name == name {
			return i
		}
	}
	return -1
}
