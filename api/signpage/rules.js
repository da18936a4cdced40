// Smart fields on the signing page: the same rules the server applies again
// at Sign (internal/signing/rules.go and formula.go), tested against the
// same cases (internal/signing/testdata/formulas.json).
"use strict";
window.SignflowRules = (function () {
  // parse reads a formula: numbers, {field name}, + - * / ( ), sum,
  // product, min, max and round. It returns a function of a lookup, or
  // throws on a formula the server would refuse.
  function parse(src) {
    if (src.length === 0 || src.length > 500) throw new Error("formula length");
    let pos = 0;
    const peek = () => { while (src[pos] === " ") pos++; return src[pos]; };
    const fns = ["sum", "product", "min", "max", "round"];
    function expr(depth) {
      if (depth > 20) throw new Error("too deep");
      let left = term(depth);
      for (let op = peek(); op === "+" || op === "-"; op = peek()) {
        pos++;
        const l = left, r = term(depth);
        left = op === "+" ? (v) => l(v) + r(v) : (v) => l(v) - r(v);
      }
      return left;
    }
    function term(depth) {
      let left = factor(depth);
      for (let op = peek(); op === "*" || op === "/"; op = peek()) {
        pos++;
        const l = left, r = factor(depth);
        left = op === "*" ? (v) => l(v) * r(v) : (v) => { const d = r(v); return d === 0 ? NaN : l(v) / d; };
      }
      return left;
    }
    function factor(depth) {
      const c = peek();
      if (c === undefined) throw new Error("ends too soon");
      if (c === "-") { pos++; const x = factor(depth + 1); return (v) => -x(v); }
      if (c === "(") {
        pos++;
        const x = expr(depth + 1);
        if (peek() !== ")") throw new Error("unclosed (");
        pos++;
        return x;
      }
      if (c === "{") {
        const end = src.indexOf("}", pos);
        if (end < 0) throw new Error("unclosed {");
        const name = src.slice(pos + 1, end);
        if (name === "" || name.trim() !== name) throw new Error("bad name");
        pos = end + 1;
        return (v) => v(name);
      }
      if (/[0-9.]/.test(c)) {
        const m = /^[0-9.]+/.exec(src.slice(pos));
        pos += m[0].length;
        const n = Number(m[0]);
        if (Number.isNaN(n)) throw new Error("not a number");
        return () => n;
      }
      if (/\p{L}/u.test(c)) {
        const m = /^\p{L}+/u.exec(src.slice(pos));
        const name = m[0];
        pos += name.length;
        if (!fns.includes(name) || peek() !== "(") throw new Error("not a function");
        pos++;
        const args = [expr(depth + 1)];
        while (peek() === ",") { pos++; args.push(expr(depth + 1)); }
        if (peek() !== ")") throw new Error("unclosed call");
        pos++;
        if (name === "round" && args.length > 2) throw new Error("round takes 1 or 2");
        return (v) => {
          const xs = args.map((a) => a(v));
          switch (name) {
            case "sum": return xs.reduce((a, b) => a + b, 0);
            case "product": return xs.reduce((a, b) => a * b, 1);
            case "min": return Math.min(...xs);
            case "max": return Math.max(...xs);
          }
          const digits = xs.length === 2 ? Math.max(0, Math.min(10, Math.trunc(xs[1]))) : 0;
          const scale = 10 ** digits;
          return Math.sign(xs[0]) * Math.round(Math.abs(xs[0]) * scale) / scale;
        };
      }
      throw new Error("unexpected " + c);
    }
    const root = expr(0);
    if (peek() !== undefined) throw new Error("unexpected " + src[pos]);
    return root;
  }

  // evaluate is a formula's number for values by name, or null for none.
  function evaluate(src, value) {
    const x = parse(src)((name) => Number(value(name)) || 0);
    return Number.isFinite(x) ? x : null;
  }

  // format writes a number as Go's strconv.FormatFloat(n, 'f', -1, 64)
  // does for the values a form holds.
  function format(n) {
    return String(Number(n.toPrecision(15)));
  }

  function holds(c, fieldOf, valueOf) {
    const v = valueOf(c.field);
    switch (c.is) {
      case "filled": return v !== "";
      case "checked": return (fieldOf(c.field) || {}).type === "checkbox" && v === "true";
      case "equals": return v === c.value;
      case "one_of": return (c.values || []).includes(v);
    }
    return false;
  }

  // apply evaluates every field's rules over values (by field ID): which
  // are hidden, which required, and what each formula gives ("" for none).
  function apply(fields, values) {
    const byName = new Map(fields.filter((f) => f.name).map((f) => [f.name, f]));
    const state = new Map(), effective = new Map();
    const out = { hidden: new Set(), required: new Set(), computed: new Map() };
    function visit(f) {
      if (state.get(f.id) === 1) return "";
      if (state.get(f.id) === 2) return effective.get(f.id);
      state.set(f.id, 1);
      const fieldOf = (name) => byName.get(name);
      const valueOf = (name) => (byName.has(name) ? visit(byName.get(name)) : "");
      let hidden = false;
      if (f.show_if && !holds(f.show_if, fieldOf, valueOf)) hidden = true;
      if (f.hide_if && holds(f.hide_if, fieldOf, valueOf)) hidden = true;
      let v = values.get(f.id) || "";
      if (hidden) {
        out.hidden.add(f.id);
        v = "";
      } else if (f.formula) {
        let anyFilled = false;
        let x = null;
        try {
          x = evaluate(f.formula, (name) => { const s = valueOf(name); if (s !== "") anyFilled = true; return s; });
        } catch (e) { x = null; }
        v = x === null || !anyFilled ? "" : format(x);
        out.computed.set(f.id, v);
      } else if (f.required || (f.required_if && holds(f.required_if, fieldOf, valueOf))) {
        out.required.add(f.id);
      }
      state.set(f.id, 2);
      effective.set(f.id, v);
      return v;
    }
    fields.forEach(visit);
    return out;
  }

  return { apply, evaluate, parse };
})();
