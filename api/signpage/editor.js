// The field editor: a client of /v1/editor with the editor session's
// token from its path. It draws the template's pages, lets a person add,
// move, resize, change and delete fields by pointer or keyboard, and saves
// them as a new version of the template. It tells the framing page (the
// origin in its fragment, alone) what happens. Its words come from
// ../assets/locales/<language>.json.
"use strict";
(function () {
  const token = location.pathname.split("/").pop();
  const host = new URLSearchParams(location.hash.slice(1)).get("host") || "";
  if (location.hash) history.replaceState(null, "", location.pathname);
  const $ = (id) => document.getElementById(id);
  const sizes = { signature: [0.3, 0.06], initials: [0.1, 0.05], date_signed: [0.2, 0.03], checkbox: [0.03, 0.02],
    radio: [0.03, 0.02], dropdown: [0.25, 0.03], attachment: [0.3, 0.03] };
  let messages = {};
  let draft = null;
  let selected = -1;
  let page = { doc: 0, page: 1 }; // where a field added from the keyboard goes

  function t(key, args) {
    let msg = messages[key] || key;
    for (const [k, v] of Object.entries(args || {})) msg = msg.split("{" + k + "}").join(String(v));
    return msg;
  }

  function tell(type, detail) {
    if (host && window.parent !== window) window.parent.postMessage(Object.assign({ source: "signflow", type }, detail || {}), host);
  }

  if (host && window.ResizeObserver) {
    new ResizeObserver(() => tell("resize", { height: document.documentElement.scrollHeight })).observe(document.documentElement);
  }

  async function useLanguage() {
    const tried = (navigator.languages || [navigator.language]).filter(Boolean).map((l) => l.toLowerCase().split("-")[0]);
    for (const l of [...tried, "en"]) {
      const resp = await fetch("../assets/locales/" + encodeURIComponent(l) + ".json", { headers: { Accept: "application/json" } });
      if (resp.ok) {
        messages = await resp.json();
        document.documentElement.lang = l;
        document.documentElement.dir = messages.dir || "ltr";
        break;
      }
    }
    document.title = t("editor.title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  }

  async function call(method, path, body) {
    const resp = await fetch("../v1/editor" + path, { method, credentials: "omit",
      headers: Object.assign({ Accept: "application/json", Authorization: "Bearer " + token }, body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined });
    if (resp.status === 401) tell("session-expired");
    if (!resp.ok) {
      const data = await resp.json();
      const err = new Error(data.detail || t("page.failed", { status: resp.status }));
      err.problem = data;
      throw err;
    }
    return (resp.headers.get("Content-Type") || "").includes("json") ? resp.json() : resp.blob();
  }

  // patiently retries what was refused for now (429: the engine drawing
  // pages is busy, or too many requests a minute), waiting longer each time.
  async function patiently(request) {
    for (let tries = 1; ; tries++) {
      try {
        return await request();
      } catch (err) {
        if (tries >= 5 || !err.problem || err.problem.status !== 429) throw err;
        await new Promise((done) => setTimeout(done, 2000 * tries));
      }
    }
  }

  function fail(err) {
    const errors = err.problem && Array.isArray(err.problem.errors) ? err.problem.errors : [];
    $("error").textContent = err.message + (errors.length ? " " + errors.map((e) => e.field + ": " + e.message).join(" ") : "");
  }

  function options(select, values, label) {
    select.replaceChildren(...values.map((v, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = label(v);
      return o;
    }));
  }

  function label(f) {
    return t("editor.field", { type: t("editor.type_" + f.type), role: draft.roles[f.recipient || 0].name });
  }

  function pageBox(doc, n) {
    return document.querySelector(`.page[data-doc="${doc}"][data-page="${n}"]`);
  }

  // draw puts every field on its page; the selected one keeps the focus.
  function draw(focus) {
    for (const el of document.querySelectorAll(".field")) el.remove();
    draft.fields.forEach((f, i) => {
      const box = pageBox(f.document || 0, f.page || 1);
      if (!box) return;
      const el = document.createElement("button");
      el.type = "button";
      el.className = "field";
      el.dataset.index = i;
      el.setAttribute("aria-pressed", String(i === selected));
      el.setAttribute("aria-label", label(f) + ". " + t("editor.move_hint"));
      el.textContent = label(f);
      Object.assign(el.style, { left: f.x * 100 + "%", top: f.y * 100 + "%", width: f.width * 100 + "%", height: f.height * 100 + "%" });
      const handle = document.createElement("span");
      handle.className = "handle";
      handle.setAttribute("aria-hidden", "true");
      el.append(handle);
      el.addEventListener("click", () => select(i));
      el.addEventListener("keydown", (e) => keys(e, i));
      el.addEventListener("pointerdown", (e) => drag(e, i, e.target === handle));
      box.append(el);
      if (focus && i === selected) el.focus();
    });
    show();
  }

  function select(i) {
    selected = i;
    draw(true);
  }

  // show fills the properties panel with the selected field.
  function show() {
    const f = draft.fields[selected];
    $("properties").hidden = !f;
    if (!f) return;
    $("p-type").value = String(draft.field_types.indexOf(f.type));
    $("p-role").value = String(f.recipient || 0);
    $("p-required").checked = f.required !== false;
    $("p-name").value = f.name || "";
    $("p-options").value = (f.options || []).join(", ");
    $("p-pattern").value = f.pattern || "";
    $("p-min").value = f.min ?? "";
    $("p-max").value = f.max ?? "";
  }

  function add(doc, n, x, y) {
    const type = draft.field_types[Number($("new-type").value)];
    const [w, h] = sizes[type] || [0.3, 0.03];
    const f = { recipient: Number($("new-role").value), document: doc, type, page: n,
      x: clamp(x - w / 2, 0, 1 - w), y: clamp(y - h / 2, 0, 1 - h), width: w, height: h };
    if (type === "radio" || type === "dropdown") f.options = [t("editor.option", { n: 1 }), t("editor.option", { n: 2 })];
    draft.fields.push(f);
    $("status").textContent = t("editor.added", { field: label(f) });
    tell("field-added", { index: draft.fields.length - 1 });
    select(draft.fields.length - 1);
  }

  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }
  function round(v) { return Math.round(v * 10000) / 10000; }

  // keys move a field with the arrows (Shift: further), resize it with
  // Alt and the arrows, and delete it with Delete.
  function keys(e, i) {
    const f = draft.fields[i];
    const step = e.shiftKey ? 0.05 : 0.005;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      remove(i);
      return;
    }
    if (!d) return;
    e.preventDefault();
    if (e.altKey) {
      f.width = round(clamp(f.width + d[0], 0.01, 1 - f.x));
      f.height = round(clamp(f.height + d[1], 0.01, 1 - f.y));
    } else {
      f.x = round(clamp(f.x + d[0], 0, 1 - f.width));
      f.y = round(clamp(f.y + d[1], 0, 1 - f.height));
    }
    select(i);
  }

  // drag moves a field, or resizes it from its handle, with the pointer.
  function drag(e, i, resize) {
    e.preventDefault();
    e.stopPropagation();
    const f = draft.fields[i];
    const box = pageBox(f.document || 0, f.page || 1).getBoundingClientRect();
    const start = { x: e.clientX, y: e.clientY, fx: f.x, fy: f.y, fw: f.width, fh: f.height };
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const move = (m) => {
      const dx = (m.clientX - start.x) / box.width;
      const dy = (m.clientY - start.y) / box.height;
      if (resize) {
        f.width = round(clamp(start.fw + dx, 0.01, 1 - f.x));
        f.height = round(clamp(start.fh + dy, 0.01, 1 - f.y));
      } else {
        f.x = round(clamp(start.fx + dx, 0, 1 - f.width));
        f.y = round(clamp(start.fy + dy, 0, 1 - f.height));
      }
      Object.assign(el.style, { left: f.x * 100 + "%", top: f.y * 100 + "%", width: f.width * 100 + "%", height: f.height * 100 + "%" });
    };
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", () => { el.removeEventListener("pointermove", move); select(i); }, { once: true });
  }

  function remove(i) {
    const gone = label(draft.fields[i]);
    draft.fields.splice(i, 1);
    selected = -1;
    draw(false);
    $("status").textContent = t("editor.deleted", { field: gone });
    $("add").focus();
  }

  // change applies the properties panel to the selected field.
  function change() {
    const f = draft.fields[selected];
    if (!f) return;
    f.type = draft.field_types[Number($("p-type").value)];
    f.recipient = Number($("p-role").value);
    f.required = $("p-required").checked;
    const set = (key, v) => { if (v === "" || v === undefined) delete f[key]; else f[key] = v; };
    set("name", $("p-name").value.trim());
    set("options", $("p-options").value.trim() ? $("p-options").value.split(",").map((o) => o.trim()).filter(Boolean) : "");
    set("pattern", $("p-pattern").value);
    set("min", $("p-min").value === "" ? "" : Number($("p-min").value));
    set("max", $("p-max").value === "" ? "" : Number($("p-max").value));
    const el = document.querySelector(`.field[data-index="${selected}"]`);
    if (el) el.firstChild.textContent = label(f);
  }

  async function load() {
    await useLanguage();
    draft = await patiently(() => call("GET", ""));
    $("name").textContent = draft.name;
    const types = (v) => t("editor.type_" + v);
    for (const id of ["new-type", "p-type"]) options($(id), draft.field_types, types);
    for (const id of ["new-role", "p-role"]) options($(id), draft.roles, (r) => r.name);
    const pages = $("pages");
    draft.documents.forEach((d, doc) => {
      d.pages.forEach((p, k) => {
        const n = k + 1;
        const box = document.createElement("div");
        box.className = "page";
        box.dataset.doc = doc;
        box.dataset.page = n;
        const turned = p.rotation === 90 || p.rotation === 270;
        box.style.aspectRatio = turned ? p.height + " / " + p.width : p.width + " / " + p.height;
        const img = document.createElement("img");
        img.alt = t("editor.page", { name: d.name, page: n });
        box.append(img);
        // A pointer on the page, away from any field, places a field there.
        box.addEventListener("pointerdown", (e) => {
          if (e.target !== box && e.target !== img) return;
          e.preventDefault(); // the new field keeps the focus, for the arrows
          const r = box.getBoundingClientRect();
          page = { doc, page: n };
          add(doc, n, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
        });
        pages.append(box);
        patiently(() => call("GET", `/documents/${doc}/pages/${n}?width=1000`))
          .then((png) => { img.src = URL.createObjectURL(png); }).catch(fail);
      });
    });
    // What the documents' own text tags and form fields suggest appears
    // as fields to adjust or delete.
    if (draft.found.length > 0) {
      draft.fields.push(...draft.found);
      $("status").textContent = t("editor.found", { count: draft.found.length });
    }
    draw(false);
    tell("loaded", { version: draft.version, found: draft.found.length });
  }

  $("add").addEventListener("click", () => add(page.doc, page.page, 0.5, 0.5));
  $("save").addEventListener("click", () => {
    $("error").textContent = "";
    call("PUT", "/fields", { version: draft.version, fields: draft.fields }).then((r) => {
      draft.version = r.version;
      $("status").textContent = t("editor.saved", { version: r.version });
      tell("saved", { version: r.version });
    }).catch(fail);
  });
  for (const id of ["p-type", "p-role", "p-required", "p-name", "p-options", "p-pattern", "p-min", "p-max"]) $(id).addEventListener("change", change);
  $("p-delete").addEventListener("click", () => { if (selected >= 0) remove(selected); });
  load().catch((err) => { fail(err); tell("error", { status: err.problem && err.problem.status }); });
})();
