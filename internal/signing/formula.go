package signing

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A formula computes a number field from others: numbers, fields named in
// braces ({Unit price}), + - * / and parentheses, and the functions sum,
// product, min, max and round(x) or round(x, digits). An empty field counts
// as 0; a division by zero leaves the field empty. The signing page
// evaluates the same grammar (api/signpage/rules.js); both are tested
// against testdata/formulas.json.
type formula struct {
	root node
	refs []string
}

// Bounds of a formula, so that evaluating one is always cheap.
const (
	maxFormula      = 500
	maxFormulaDepth = 20
)

type node interface {
	eval(value func(name string) float64) (float64, bool)
}

type number float64

func (n number) eval(func(string) float64) (float64, bool) { return float64(n), true }

type ref string

func (r ref) eval(value func(string) float64) (float64, bool) { return value(string(r)), true }

type negate struct{ x node }

func (n negate) eval(value func(string) float64) (float64, bool) {
	x, ok := n.x.eval(value)
	return -x, ok
}

type binary struct {
	op   byte
	l, r node
}

func (b binary) eval(value func(string) float64) (float64, bool) {
	l, ok := b.l.eval(value)
	if !ok {
		return 0, false
	}
	r, ok := b.r.eval(value)
	if !ok {
		return 0, false
	}
	switch b.op {
	case '+':
		return l + r, true
	case '-':
		return l - r, true
	case '*':
		return l * r, true
	}
	if r == 0 {
		return 0, false
	}
	return l / r, true
}

type call struct {
	name string
	args []node
}

func (c call) eval(value func(string) float64) (float64, bool) {
	xs := make([]float64, len(c.args))
	for i, a := range c.args {
		x, ok := a.eval(value)
		if !ok {
			return 0, false
		}
		xs[i] = x
	}
	switch c.name {
	case "sum":
		total := 0.0
		for _, x := range xs {
			total += x
		}
		return total, true
	case "product":
		total := 1.0
		for _, x := range xs {
			total *= x
		}
		return total, true
	case "min", "max":
		out := xs[0]
		for _, x := range xs[1:] {
			if (c.name == "min") == (x < out) {
				out = x
			}
		}
		return out, true
	}
	// round, half away from zero, to 0 to 10 digits
	digits := 0.0
	if len(xs) == 2 {
		digits = math.Max(0, math.Min(10, math.Trunc(xs[1])))
	}
	scale := math.Pow(10, digits)
	return math.Round(xs[0]*scale) / scale, true
}

// functions are those a formula may call, each with one argument or more.
var functions = []string{"sum", "product", "min", "max", "round"}

// parseFormula reads a formula, listing the fields it refers to.
func parseFormula(src string) (*formula, error) {
	if len(src) > maxFormula {
		return nil, fmt.Errorf("a formula has at most %d characters", maxFormula)
	}
	p := &parser{src: src}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.skip(); p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at character %d", p.src[p.pos:p.pos+1], p.pos+1)
	}
	return &formula{root: root, refs: p.refs}, nil
}

// Eval computes the formula with each field's value from value; ok is
// false when it divides by zero or the result is not a finite number.
func (f *formula) Eval(value func(name string) float64) (float64, bool) {
	x, ok := f.root.eval(value)
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

type parser struct {
	src  string
	pos  int
	refs []string
}

var errFormulaEnd = errors.New("the formula ends too soon")

func (p *parser) skip() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *parser) peek() byte {
	p.skip()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) expr(depth int) (node, error) {
	if depth > maxFormulaDepth {
		return nil, fmt.Errorf("a formula nests at most %d levels", maxFormulaDepth)
	}
	left, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for op := p.peek(); op == '+' || op == '-'; op = p.peek() {
		p.pos++
		right, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		left = binary{op: op, l: left, r: right}
	}
	return left, nil
}

func (p *parser) term(depth int) (node, error) {
	left, err := p.factor(depth)
	if err != nil {
		return nil, err
	}
	for op := p.peek(); op == '*' || op == '/'; op = p.peek() {
		p.pos++
		right, err := p.factor(depth)
		if err != nil {
			return nil, err
		}
		left = binary{op: op, l: left, r: right}
	}
	return left, nil
}

func (p *parser) factor(depth int) (node, error) {
	c := p.peek()
	switch {
	case c == 0:
		return nil, errFormulaEnd
	case c == '-':
		p.pos++
		x, err := p.factor(depth + 1)
		return negate{x}, err
	case c == '(':
		p.pos++
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, fmt.Errorf("a ( at character %d is not closed", p.pos)
		}
		p.pos++
		return x, nil
	case c == '{':
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return nil, fmt.Errorf("a { at character %d is not closed", p.pos+1)
		}
		name := p.src[p.pos+1 : p.pos+end]
		if name == "" || strings.TrimSpace(name) != name {
			return nil, fmt.Errorf("name a field inside {} at character %d, without spaces around it", p.pos+1)
		}
		p.pos += end + 1
		p.refs = append(p.refs, name)
		return ref(name), nil
	case c == '.' || (c >= '0' && c <= '9'):
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] == '.' || (p.src[p.pos] >= '0' && p.src[p.pos] <= '9')) {
			p.pos++
		}
		n, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p.src[start:p.pos])
		}
		return number(n), nil
	case unicode.IsLetter(rune(c)):
		start := p.pos
		for p.pos < len(p.src) && unicode.IsLetter(rune(p.src[p.pos])) {
			p.pos++
		}
		name := p.src[start:p.pos]
		if !slices.Contains(functions, name) || p.peek() != '(' {
			return nil, fmt.Errorf("%q is not a function: use sum, product, min, max or round, and {name} for a field", name)
		}
		p.pos++
		var args []node
		for {
			x, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			args = append(args, x)
			if p.peek() != ',' {
				break
			}
			p.pos++
		}
		if p.peek() != ')' {
			return nil, fmt.Errorf("%s( is not closed", name)
		}
		p.pos++
		if name == "round" && len(args) > 2 {
			return nil, errors.New("round takes a number and, optionally, the digits to keep")
		}
		return call{name: name, args: args}, nil
	}
	return nil, fmt.Errorf("unexpected %q at character %d", string(c), p.pos+1)
}
