package signing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/signflow/signflow/models"
)

// Smart fields: a field may show, hide or become required by another
// field's value, compute a number from others, and checkboxes may form a
// group with a least and a most checked. The signing page applies these
// rules as the signer types (api/signpage/rules.js); the server applies
// them again at Sign (CheckValues) and keeps only what they allow.

// conditionTests are the tests a condition may make.
var conditionTests = []string{models.IsFilled, models.IsChecked, models.IsEquals, models.IsOneOf}

// FieldRules is an envelope's fields under their rules for a set of values:
// which are hidden, which are required, what each formula gives, and which
// rule decided each, for form data.
type FieldRules struct {
	Hidden   map[string]bool
	Required map[string]bool
	// Computed is each visible formula field's value, "" when it has none
	// (a division by zero).
	Computed map[string]string
	// Applied says, by field ID, the rule that hid, required or computed it.
	Applied map[string]string
}

// ApplyRules evaluates fields' rules over values (by field ID). A field
// refers to others by name; a hidden field's value is empty to every rule,
// so rules may chain. The references were checked acyclic when the
// envelope was made; a cycle met here (an older envelope) counts as empty.
func ApplyRules(fields []models.Field, values map[string]string) FieldRules {
	out := FieldRules{Hidden: map[string]bool{}, Required: map[string]bool{}, Computed: map[string]string{}, Applied: map[string]string{}}
	byName := map[string]int{}
	for i, f := range fields {
		if f.Name != "" {
			byName[f.Name] = i
		}
	}
	state := make([]int, len(fields)) // 0 unseen, 1 in progress, 2 done
	effective := make([]string, len(fields))
	var visit func(i int) string
	visit = func(i int) string {
		switch state[i] {
		case 1:
			return ""
		case 2:
			return effective[i]
		}
		state[i] = 1
		f := fields[i]
		valueOf := func(name string) (models.Field, string) {
			j, ok := byName[name]
			if !ok {
				return models.Field{}, ""
			}
			return fields[j], visit(j)
		}
		hidden := false
		if f.ShowIf != nil && !holds(*f.ShowIf, valueOf) {
			hidden, out.Applied[f.ID] = true, "hidden: show_if "+describeCondition(*f.ShowIf)+" is not met"
		}
		if f.HideIf != nil && holds(*f.HideIf, valueOf) {
			hidden, out.Applied[f.ID] = true, "hidden: hide_if "+describeCondition(*f.HideIf)+" is met"
		}
		v := values[f.ID]
		switch {
		case hidden:
			out.Hidden[f.ID] = true
			v = ""
		case f.Formula != "":
			v = compute(f.Formula, func(name string) (float64, bool) {
				_, s := valueOf(name)
				n, _ := strconv.ParseFloat(s, 64)
				return n, s != ""
			})
			out.Computed[f.ID] = v
			out.Applied[f.ID] = "computed: " + f.Formula
		default:
			required := f.Required
			if !required && f.RequiredIf != nil && holds(*f.RequiredIf, valueOf) {
				required, out.Applied[f.ID] = true, "required: required_if "+describeCondition(*f.RequiredIf)+" is met"
			}
			out.Required[f.ID] = required
		}
		state[i], effective[i] = 2, v
		return v
	}
	for i := range fields {
		visit(i)
	}
	return out
}

// compute is a formula's value as a number field stores it: "" for none,
// when it divides by zero or none of the fields it names has a value yet
// (an unused total is left blank, not stamped 0).
func compute(src string, value func(string) (float64, bool)) string {
	f, err := parseFormula(src)
	if err != nil {
		return ""
	}
	anyFilled := len(f.refs) == 0
	n, ok := f.Eval(func(name string) float64 {
		x, filled := value(name)
		anyFilled = anyFilled || filled
		return x
	})
	if !ok || !anyFilled {
		return ""
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// holds tests c against the field it names and that field's value.
func holds(c models.Condition, valueOf func(string) (models.Field, string)) bool {
	f, v := valueOf(c.Field)
	switch c.Is {
	case models.IsFilled:
		return v != ""
	case models.IsChecked:
		return f.Type == models.FieldCheckbox && v == "true"
	case models.IsEquals:
		return v == c.Value
	case models.IsOneOf:
		return slices.Contains(c.Values, v)
	}
	return false
}

func describeCondition(c models.Condition) string {
	switch c.Is {
	case models.IsEquals:
		return fmt.Sprintf("%q equals %q", c.Field, c.Value)
	case models.IsOneOf:
		return fmt.Sprintf("%q is one of %q", c.Field, c.Values)
	}
	return fmt.Sprintf("%q is %s", c.Field, c.Is)
}

// smartRequest is what validateSmartFields needs of one field of a
// request: its rules, type, name and who fills it (their routing order).
type smartRequest struct {
	FieldRequest
	order int
}

// validateSmartFields checks the rules of a request's fields together:
// each condition and formula names a field that exists, is filled by the
// same recipient or an earlier routing order (whose values are final when
// this field is filled), and fits the test; nothing depends on itself;
// checkbox groups belong to one recipient and agree on their bounds.
func validateSmartFields(errs *FieldErrors, fields []smartRequest) {
	byName := map[string]int{}
	for i, f := range fields {
		if f.Name != "" {
			byName[f.Name] = i
		}
	}
	refers := func(field string, i int, name string) (int, bool) {
		j, ok := byName[name]
		switch {
		case !ok:
			errs.Add(field, "no field is named %q; name the field it depends on with \"name\"", name)
		case j == i:
			errs.Add(field, "a field cannot depend on itself")
		case fields[j].order > fields[i].order:
			errs.Add(field, "%q is filled by a later routing order; depend on fields filled before or with this one", name)
		default:
			return j, true
		}
		return 0, false
	}
	deps := make([][]int, len(fields))
	for i, f := range fields {
		at := fmt.Sprintf("fields[%d]", i)
		for _, c := range []struct {
			key  string
			cond *models.Condition
		}{{"show_if", f.ShowIf}, {"hide_if", f.HideIf}, {"required_if", f.RequiredIf}} {
			if c.cond == nil {
				continue
			}
			field := at + "." + c.key
			if !slices.Contains(conditionTests, c.cond.Is) {
				errs.Add(field+".is", "one of %s", strings.Join(conditionTests, ", "))
				continue
			}
			j, ok := refers(field+".field", i, c.cond.Field)
			if !ok {
				continue
			}
			deps[i] = append(deps[i], j)
			switch target := fields[j]; {
			case c.cond.Is == models.IsChecked && target.Type != models.FieldCheckbox:
				errs.Add(field+".is", "%q is a %s; \"checked\" tests a checkbox", c.cond.Field, target.Type)
			case c.cond.Is == models.IsEquals && (c.cond.Value == "" || c.cond.Values != nil):
				errs.Add(field+".value", "\"equals\" compares with one value; give it in value")
			case c.cond.Is == models.IsOneOf && (len(c.cond.Values) == 0 || len(c.cond.Values) > maxOptions || c.cond.Value != ""):
				errs.Add(field+".values", "\"one_of\" takes 1 to %d values in values", maxOptions)
			case (c.cond.Is == models.IsFilled || c.cond.Is == models.IsChecked) && (c.cond.Value != "" || c.cond.Values != nil):
				errs.Add(field, "%q takes no value", c.cond.Is)
			}
		}
		if f.Formula != "" {
			parsed, err := parseFormula(f.Formula)
			if err != nil {
				errs.Add(at+".formula", "%s", err)
				continue
			}
			for _, name := range parsed.refs {
				if j, ok := refers(at+".formula", i, name); ok {
					if fields[j].Type != models.FieldNumber {
						errs.Add(at+".formula", "%q is a %s field; a formula adds up number fields", name, fields[j].Type)
					}
					deps[i] = append(deps[i], j)
				}
			}
		}
	}
	if cycle := findCycle(deps); cycle >= 0 {
		errs.Add(fmt.Sprintf("fields[%d]", cycle), "the field depends on itself through others (%q); break the circle", fields[cycle].Name)
	}
	validateGroups(errs, fields)
}

// findCycle is a field on a circle of dependencies, or -1.
func findCycle(deps [][]int) int {
	state := make([]int, len(deps))
	var visit func(i int) int
	visit = func(i int) int {
		if state[i] == 1 {
			return i
		}
		if state[i] == 2 {
			return -1
		}
		state[i] = 1
		for _, j := range deps[i] {
			if c := visit(j); c >= 0 {
				return c
			}
		}
		state[i] = 2
		return -1
	}
	for i := range deps {
		if c := visit(i); c >= 0 {
			return c
		}
	}
	return -1
}

// validateGroups checks each checkbox group: one recipient, one pair of
// bounds, reachable by its members.
func validateGroups(errs *FieldErrors, fields []smartRequest) {
	first := map[string]int{}
	size := map[string]int{}
	for i, f := range fields {
		if f.Group == "" {
			continue
		}
		at := fmt.Sprintf("fields[%d].group", i)
		j, seen := first[f.Group]
		switch {
		case !seen:
			first[f.Group] = i
		case !samePointer(fields[j].Recipient, f.Recipient):
			errs.Add(at, "the boxes of group %q are filled by one recipient", f.Group)
		case !sameBound(fields[j].Min, f.Min) || !sameBound(fields[j].Max, f.Max):
			errs.Add(at, "every box of group %q gives the same min and max", f.Group)
		}
		size[f.Group]++
	}
	for name, i := range first {
		f := fields[i]
		if f.Max != nil && *f.Max > float64(size[name]) {
			errs.Add(fmt.Sprintf("fields[%d].max", i), "group %q has %d boxes; max is at most that", name, size[name])
		}
		for key, b := range map[string]*float64{"min": f.Min, "max": f.Max} {
			if b != nil && (*b < 0 || *b != float64(int(*b))) {
				errs.Add(fmt.Sprintf("fields[%d].%s", i, key), "a group's %s is a whole number of boxes", key)
			}
		}
	}
}

func samePointer(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sameBound(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// checkGroups counts the visible, checked boxes of each of recipientID's
// groups against their bounds.
func checkGroups(errs *FieldErrors, fields []models.Field, recipientID string, values map[string]string, rules FieldRules) {
	type group struct {
		first   models.Field
		checked int
	}
	groups := map[string]*group{}
	var order []string
	for _, f := range fields {
		if f.Group == "" || f.RecipientID != recipientID || rules.Hidden[f.ID] {
			continue
		}
		g, ok := groups[f.Group]
		if !ok {
			g = &group{first: f}
			groups[f.Group] = g
			order = append(order, f.Group)
		}
		if values[f.ID] == "true" {
			g.checked++
		}
	}
	for _, name := range order {
		g := groups[name]
		if g.first.MinValue != nil && float64(g.checked) < *g.first.MinValue {
			errs.Add("values", "check at least %v of the boxes of group %q", *g.first.MinValue, name)
		}
		if g.first.MaxValue != nil && float64(g.checked) > *g.first.MaxValue {
			errs.Add("values", "check at most %v of the boxes of group %q", *g.first.MaxValue, name)
		}
	}
}
