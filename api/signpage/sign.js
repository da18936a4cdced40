// The signing page: a client of /v1/signing/{token}. The session is kept in
// memory only (and in the HttpOnly cookie the API sets), never in storage.
// What it says comes from ../assets/locales/<language>.json, the file the
// emails are written from.
"use strict";
(function () {
  const token = location.pathname.split("/").pop();
  const api = "../v1/signing/" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  // An embedded session arrives in the URL's fragment, which no server or
  // Referer sees: the session, the origin of the page framing this one
  // (the only one told what happens) and where to go when done. The
  // fragment is dropped from the address at once.
  const embed = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, "", location.pathname);
  const host = window.parent !== window ? embed.get("host") || "" : "";
  const returnURL = embed.get("return") || "";
  let bearer = embed.get("session") || "";
  let view = null;
  let lang = "en";
  let messages = {};
  // adopted holds the signature and the initials, each adopted once and
  // placed only on the boxes the signer presses: {text} typed, or {png}
  // drawn or uploaded. Typing adopts the initials with the name, unless
  // they were adopted already; a drawing is one or the other.
  const adopted = { signature: null, initials: null };
  let zoom = 1;

  // tell lets the framing page know what happens, by postMessage to its
  // origin alone; unframed, an action that ends the visit returns to the
  // integrator's page, when it gave one.
  function tell(type, detail) {
    const message = Object.assign({ source: "signflow", type }, detail || {});
    if (host) window.parent.postMessage(message, host);
    else if (returnURL && ["signed", "approved", "declined", "reassigned"].includes(type)) {
      const u = new URL(returnURL);
      u.searchParams.set("event", type);
      location.assign(u.toString());
    }
  }
  if (host && window.ResizeObserver) {
    new ResizeObserver(() => tell("resize", { height: document.documentElement.scrollHeight })).observe(document.documentElement);
  }

  // longDate writes a day as the final document will stamp it: the
  // language's pattern and month names, in UTC (internal/locale LongDate).
  function longDate(d) {
    const months = messages.months || [];
    return t("date_long", { day: d.getUTCDate(), month: months[d.getUTCMonth()] || d.getUTCMonth() + 1, year: d.getUTCFullYear() });
  }

  function t(key, args) {
    let msg = messages[key] || key;
    for (const [k, v] of Object.entries(args || {})) msg = msg.split("{" + k + "}").join(String(v));
    return msg;
  }

  // language is the one chosen on the page (?lang=), else the recipient's
  // (or the envelope's), else the first of the browser's that there is a
  // file for, else English.
  const chosen = new URLSearchParams(location.search).get("lang") || "";
  // The messages' version, from the page: a repeat visit reads them from
  // the browser's cache until they change.
  const localesVersion = (document.querySelector("meta[name=signflow-locales]") || {}).content || "";
  async function useLanguage(preferred) {
    const tried = [chosen, preferred, ...(navigator.languages || [navigator.language])].filter(Boolean)
      .map((l) => l.toLowerCase().split("-")[0]);
    for (const l of [...tried, "en"]) {
      const resp = await fetch("../assets/locales/" + encodeURIComponent(l) + ".json?v=" + localesVersion, { headers: { Accept: "application/json" } });
      if (resp.ok) {
        messages = await resp.json();
        lang = l;
        break;
      }
    }
    document.documentElement.lang = lang;
    // A right-to-left language turns the page; the document's pages never do.
    document.documentElement.dir = messages.dir || "ltr";
    document.title = t("page.title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    offerLanguages().catch(() => {});
  }

  // offerLanguages fills the switcher, each language named in itself; a
  // choice reloads the page in it (the session cookie and the saved draft
  // carry over). A framed page follows its host's language instead.
  async function offerLanguages() {
    if (host || $("language").options.length > 0) return;
    const resp = await fetch("../assets/locales/index.json?v=" + localesVersion, { headers: { Accept: "application/json" } });
    if (!resp.ok) return;
    const select = $("language");
    for (const code of (await resp.json()).languages) {
      let name = code;
      try { name = new Intl.DisplayNames([code], { type: "language" }).of(code); } catch (e) { /* the code itself */ }
      select.append(new Option(name, code, false, code === lang));
    }
    select.addEventListener("change", () => {
      const u = new URL(location.href);
      u.searchParams.set("lang", select.value);
      location.assign(u.toString());
    });
    show("language-box", true);
  }

  async function call(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (bearer) headers["Authorization"] = "Bearer " + bearer;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(api + path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const type = resp.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await resp.json() : await resp.blob();
    if (!resp.ok) {
      if (resp.status === 401 && bearer) tell("session-expired");
      const err = new Error((data && data.detail) || t("page.failed", { status: resp.status }));
      err.problem = data;
      throw err;
    }
    return data;
  }

  // fail announces the problem (the error box is a live region) and, when
  // it names a field, moves focus there.
  // While the fields are shown, a problem with them is marked on each
  // field it names (by position or by name) and said next to Sign.
  function fail(err) {
    const p = err.problem || {};
    if ($("signing").hidden) {
      $("error").textContent = err.message;
      return;
    }
    if (p.type === "urn:signflow:problem:action-rejected") {
      $("sign-error").textContent = t("page.not_now");
      return;
    }
    if (p.type === "urn:signflow:problem:reauthenticate") return reauthenticate();
    if (p.type === "urn:signflow:problem:identity-unverified") {
      $("sign-error").textContent = t("page.identity_pending");
      return;
    }
    const marked = [];
    for (const e of p.errors || []) {
      const m = /^values\[(\d+)\]/.exec(e.field || "");
      const f = m && lastValues[Number(m[1])] ? view.fields.find((x) => x.id === lastValues[Number(m[1])].field_id)
        : view.fields.find((x) => x.name && e.message.includes("\"" + x.name + "\""));
      if (f && markField(f.id)) marked.push(f.id);
    }
    $("sign-error").textContent = marked.length > 0 ? t("page.check_fields") : err.message;
    if (marked.length > 0) focusField(marked[0]);
  }

  // markField flags a field to check, described to assistive technology.
  function markField(id) {
    const input = $("field-" + id);
    if (!input || input.parentElement.hidden) return false;
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = "error-" + id;
    note.textContent = t("page.check_field");
    input.parentElement.classList.add("invalid");
    input.parentElement.append(note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    return true;
  }

  function clearErrors() {
    $("error").textContent = "";
    $("sign-error").textContent = "";
    for (const el of document.querySelectorAll("#pages .field-error")) el.remove();
    for (const el of document.querySelectorAll("#pages .invalid")) el.classList.remove("invalid");
    for (const el of document.querySelectorAll("#pages [aria-invalid]")) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
  }
  function show(id, on) { $(id).hidden = !on; }

  async function load() {
    try {
      view = await call("GET", "");
    } catch (err) {
      await useLanguage("");
      tell("error", { status: err.problem && err.problem.status });
      if (err.problem && err.problem.closed_link) return closed(err.problem.closed_link);
      $("subject").textContent = t("page.cannot_open");
      throw err;
    }
    await useLanguage(view.recipient.locale);
    brand(view.sender);
    $("subject").textContent = view.envelope.subject;
    if (view.envelope.waiting_for) return waiting(view.envelope.waiting_for);
    tell("loaded", { envelope_id: view.envelope.id, recipient_id: view.recipient.id, verified: view.verified });
    if (view.verified) return ready();
    if (view.recipient.embedded && view.recipient.authentication === "none") {
      // Only the integrator's application opens an embedded recipient's page.
      $("message").textContent = t("page.open_in_app");
      return;
    }
    // Until the second factor, the link shows only how to give it.
    if (view.verification.locked) {
      $("message").textContent = t("page.locked");
      return;
    }
    const methods = methodsOf(view.recipient.authentication);
    show("otp", methods.includes("email_otp") || methods.includes("sms_otp"));
    show("access", methods.includes("access_code"));
    $("sent-to").textContent = view.recipient.code_sent_to ? t("page.code_sent_to", { address: view.recipient.code_sent_to }) : "";
    show("verify", true);
    (methods.includes("access_code") ? $("access-code") : $("send-code")).focus();
  }

  // methodsOf is what a recipient's setting asks them to prove; a code by
  // text is asked for in the words of a text, not of an email.
  function methodsOf(setting) {
    const methods = { email_otp: ["email_otp"], sms_otp: ["sms_otp"], access_code: ["access_code"], both: ["email_otp", "access_code"] }[setting] || [];
    const byText = methods.includes("sms_otp");
    $("send-code").textContent = t(byText ? "page.send_code_sms" : "page.send_code");
    $("code-label").textContent = t(byText ? "page.code_label_sms" : "page.code_label");
    return methods;
  }

  // brand shows who sent the envelope, as their tenant set it: a name, a
  // logo (always from this page's own API, as the CSP requires) and the
  // colour of the buttons.
  function brand(sender) {
    if (!sender) return;
    if (sender.color) document.documentElement.style.setProperty("--accent", sender.color);
    if (sender.name) $("sender-name").textContent = t("page.sent_by", { name: sender.name });
    if (sender.logo_url) {
      $("sender-logo").alt = sender.name ? "" : t("page.sender_logo");
      $("sender-logo").src = api + "/logo";
      show("sender-logo", true);
    }
    show("sender", true);
  }

  // waiting says whose turn it is, before any code is asked for that could
  // not be used yet.
  function waiting(names) {
    show("verify", false);
    $("message").textContent = t("page.waiting", { names: new Intl.ListFormat(lang, { type: "conjunction" }).format(names) });
  }

  // closed says why the link no longer opens its envelope and what comes
  // next, offering the completed documents where the API does.
  function closed(c) {
    $("subject").textContent = t("page.title");
    let text = {
      completed: c.copies ? "page.state.completed" : "page.state.completed_by_email",
      declined: c.you_acted ? "page.state.declined_by_you" : "page.state.declined",
    }[c.state] || "page.state." + c.state;
    ended(t(text));
    if (c.reason) $("done-note").textContent = t("page.state.voided_reason", { reason: c.reason });
    for (const copy of c.copies || []) offerCopy(copy).catch(fail);
  }

  async function ready() {
    show("verify", false);
    if (view.envelope.waiting_for) return waiting(view.envelope.waiting_for);
    $("message").textContent = view.envelope.message || "";
    const approver = view.recipient.role === "approver";
    const action = approver ? t("page.approve") : t("page.sign");
    $("sign").textContent = action;
    $("consent").textContent = t("page.consent", { action });
    // Signflow's default meaning is said in the page's language, and the
    // final document states it in the language the signer signed in.
    const meaning = view.recipient.default_meaning ? t("meaning." + view.recipient.role) : view.recipient.meaning;
    $("meaning").textContent = meaning ? t("page.meaning", { meaning }) : "";
    // A recipient whose identity the sender's provider must confirm first
    // may fill the fields meanwhile, and is told why Sign waits.
    if (view.recipient.identity_verification === "required" && !view.recipient.identity_confirmed) {
      $("sign-error").textContent = t("page.identity_pending");
    }
    show("reassign", view.envelope.allow_reassign);
    $("type-name").value = view.recipient.name;
    $("type-initials").value = initialsOf(view.recipient.name);
    const list = $("document-list");
    list.replaceChildren();
    for (const d of view.documents) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("page.open_pdf", { name: d.name, pages: d.page_count });
      b.addEventListener("click", () => openDocument(d).catch(fail));
      li.append(b);
      list.append(li);
    }
    buildPages();
    restore(view.draft || []);
    show("signing", true);
    progress();
    // Focus moves now, in the same task that shows the fields, so nothing
    // scrolls under a pointer that is about to press one.
    nextField();
    loadPageImages().catch(fail);
    await call("POST", "/viewed");
  }

  // buildPages lays out every page at its shape, with this recipient's
  // fields on it as inputs and the others' filled fields as they print.
  function buildPages() {
    const box = $("pages");
    box.replaceChildren();
    for (const d of view.documents) {
      const count = Math.min(d.page_count, 50);
      for (let n = 1; n <= count; n++) {
        const page = document.createElement("div");
        page.className = "page";
        page.dataset.doc = d.id;
        page.dataset.page = n;
        const geometry = (d.pages || [])[n - 1];
        const img = document.createElement("img");
        img.alt = t("page.page_alt", { page: n, document: d.name });
        if (geometry) {
          img.width = Math.round(geometry.width);
          img.height = Math.round(geometry.height);
        }
        page.append(img);
        const tall = geometry ? geometry.height / geometry.width : Math.SQRT2;
        for (const o of view.others.filter((o) => o.document_id === d.id && o.page === n)) page.append(scaleWithPage(otherField(o), o, tall));
        for (const f of view.fields.filter((f) => f.document_id === d.id && f.page === n)) page.append(scaleWithPage(fieldOnPage(f), f, tall));
        box.append(page);
      }
    }
    refit.observe(box);
    document.fonts.ready.then(fitAll);
  }

  // scaleWithPage gives an element its box's height as a share of the
  // page's width: its text is sized from it (page.html), so that text and
  // page grow and shrink together, on a phone and at any zoom.
  function scaleWithPage(el, f, tall) {
    el.style.setProperty("--fh", String(f.height * tall));
    return el;
  }

  // fitText shrinks the text of a field until it fits its box, as the
  // final PDF does, so that no value or label is cut off however small
  // the page is drawn. The shrink is a share of the text's size, so it
  // holds at every zoom.
  const ruler = document.createElement("canvas").getContext("2d");
  function fitText(el) {
    el.style.setProperty("--fit", "1");
    if (el.clientWidth === 0) return; // hidden: fitted when shown
    if (el.tagName === "FIELDSET") {
      for (let k = 0.85; k > 0.2 && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1); k *= 0.85) {
        el.style.setProperty("--fit", String(k));
      }
      return;
    }
    const text = el.tagName === "SELECT" ? (el.selectedOptions[0] || {}).text
      : el.tagName === "INPUT" ? el.value || el.placeholder
      : el.querySelector("img") ? "" : el.textContent;
    if (!text) return;
    const style = getComputedStyle(el);
    ruler.font = style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
    const arrow = el.tagName === "SELECT" ? 24 : 0;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - arrow;
    const need = ruler.measureText(text).width;
    if (room > 0 && need > room) el.style.setProperty("--fit", String(Math.max(0.05, (room / need) * 0.97)));
  }

  const refit = new ResizeObserver(() => fitAll());
  function fitAll() {
    const textual = "#pages .field > input:not([type=checkbox]):not([type=file]), #pages .field > select, #pages .field > button, #pages .field > .radios, #pages .other";
    for (const el of document.querySelectorAll(textual)) fitText(el);
  }

  // loadPageImages shows the first page at once at one image pixel per
  // screen point (small, so it arrives fast on a slow line), then every
  // page sharp at the screen's pixel density and the zoom chosen.
  async function loadPageImages() {
    const css = $("pages").clientWidth || 1000;
    const pinched = window.visualViewport ? window.visualViewport.scale : 1;
    const sharp = pageWidth(css * (window.devicePixelRatio || 1) * Math.max(1, pinched));
    const pages = Array.from(document.querySelectorAll("#pages .page"));
    if (pages.length > 0 && !pages[0].dataset.width) await drawPage(pages[0], pageWidth(css));
    for (const page of pages) await drawPage(page, sharp);
  }

  // pageWidth is the smallest width the API draws that covers wanted
  // pixels.
  function pageWidth(wanted) {
    return [400, 600, 800, 1000, 1200, 1600, 2000].find((w) => w >= wanted) || 2000;
  }

  // drawPage replaces a page's image by one at least width wide.
  async function drawPage(page, width) {
    if (Number(page.dataset.width || 0) >= width) return;
    const path = "/documents/" + encodeURIComponent(page.dataset.doc) + "/pages/" + page.dataset.page + "?width=" + width;
    const png = await patiently(() => call("GET", path));
    const img = page.querySelector("img");
    const before = img.src;
    img.src = URL.createObjectURL(png);
    if (before.startsWith("blob:")) URL.revokeObjectURL(before);
    page.dataset.width = width;
  }

  // patiently retries a request the API answered 429 (its pages are being
  // drawn for many signers at once), a few times, a few seconds apart.
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

  function place(el, f) {
    el.style.left = (f.x * 100) + "%";
    el.style.top = (f.y * 100) + "%";
    el.style.width = (f.width * 100) + "%";
    el.style.height = (f.height * 100) + "%";
  }

  function otherField(o) {
    const el = document.createElement("div");
    el.dir = "auto";
    el.className = "other";
    place(el, o);
    if (o.drawn) {
      // Shown as it will print, once the drawing arrives.
      const img = document.createElement("img");
      img.alt = t("page.drawn_by", { name: o.by });
      el.append(img);
      call("GET", "/drawn/" + encodeURIComponent(o.field_id)).then((png) => { img.src = URL.createObjectURL(png); }).catch(fail);
    } else {
      if (o.type === "signature" || o.type === "initials") el.classList.add("handwriting");
      el.textContent = o.type === "checkbox" ? (o.text === "true" ? "\u2713" : "") : o.text;
      el.title = t("page.filled_by", { name: o.by });
    }
    return el;
  }

  function caption(f) {
    const name = f.name && f.type !== "signature" && f.type !== "initials" ? f.name : t("page.field." + f.type);
    return name + " (" + t("page.on_page", { page: f.page }) + (f.required ? ", " + t("page.required") : "") + ")";
  }

  // fieldOnPage is the field as a real input at its box, labelled with
  // what it is, its page and whether it is required.
  function fieldOnPage(f) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    wrap.dataset.for = f.id;
    place(wrap, f);
    let input;
    if (f.type === "signature" || f.type === "initials") {
      input = document.createElement("button");
      input.type = "button";
      input.textContent = f.type === "signature" ? t("page.sign_here") : t("page.initial_here");
      input.dataset.caption = input.textContent;
      input.addEventListener("click", () => (adopted[f.type] ? placeSignature(f.id) : openAdopt(f.id)));
    } else if (f.type === "date_signed") {
      input = document.createElement("input");
      input.type = "text";
      input.readOnly = true;
      input.value = longDate(new Date());
      wrap.classList.add("done");
    } else if (f.type === "radio") {
      // A radio group is a group of radio buttons, named by its caption.
      input = document.createElement("fieldset");
      input.className = "radios";
      input.setAttribute("role", "radiogroup");
      const legend = document.createElement("legend");
      legend.textContent = caption(f);
      input.append(legend);
      for (const o of f.options) {
        const label = document.createElement("label");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "radio-" + f.id;
        radio.value = o;
        radio.checked = f.value === o;
        radio.disabled = !!f.read_only;
        label.append(radio, document.createTextNode(o));
        input.append(label);
      }
    } else if (f.type === "dropdown") {
      input = document.createElement("select");
      input.append(new Option("", ""), ...f.options.map((o) => new Option(o, o)));
      if (f.value) input.value = f.value;
    } else {
      input = document.createElement("input");
      input.type = { checkbox: "checkbox", number: "number", email: "email", attachment: "file", date: "date" }[f.type] || "text";
      if (f.type === "date") {
        if (f.min_date) input.min = f.min_date;
        if (f.max_date) input.max = f.max_date;
      }
      if (f.type === "attachment") input.accept = "application/pdf,image/png,image/jpeg";
      if (f.type === "number") {
        input.step = "any";
        if (f.min !== undefined) input.min = f.min;
        if (f.max !== undefined) input.max = f.max;
      }
      if (f.type === "checkbox") input.checked = f.value === "true";
      else if (f.value && f.type !== "attachment") input.value = f.value;
      if (f.min_length !== undefined) input.minLength = f.min_length;
      if (f.max_length !== undefined) input.maxLength = f.max_length;
      if (f.type !== "checkbox" && f.type !== "attachment") input.placeholder = f.name || t("page.field." + f.type);
      if (f.formula) {
        // Computed as the signer types, by the rules the server applies.
        input.readOnly = true;
        input.classList.add("computed");
        input.placeholder = t("page.computed");
      }
    }
    input.id = "field-" + f.id;
    input.dataset.type = f.type;
    input.dir = "auto"; // a value reads in its own script's direction on any page
    // A label starts with the text the control shows (WCAG 2.5.3).
    input.setAttribute("aria-label", (input.dataset.caption ? input.dataset.caption + ": " : "") + caption(f));
    if (f.required) {
      input.dataset.required = "true";
      // A button takes no aria-required: its label says "required".
      if (input.tagName !== "BUTTON") input.required = true;
    }
    // A read-only value is the sender's, and a computed one Signflow's:
    // shown, never sent.
    if (f.read_only) input.disabled = true;
    else if (f.type !== "date_signed" && !f.formula) input.dataset.field = f.id;
    if (!f.required && !f.required_if && f.type !== "date_signed" && !f.formula && !f.read_only) {
      wrap.classList.add("optional");
      if (input.placeholder) input.placeholder += " (" + t("page.optional") + ")";
    }
    input.addEventListener("input", saveSoon);
    input.addEventListener("change", saveSoon);
    input.addEventListener("input", progress);
    input.addEventListener("change", progress);
    input.addEventListener("change", () => tell("field-changed", { field_id: f.id }));
    wrap.append(input);
    return wrap;
  }

  function filled(input) {
    return valueOf(input) !== "";
  }

  // valueOf is what a field of this recipient holds, as the rules and the
  // server see it: "true" for a ticked box, the choice of a radio group.
  function valueOf(input) {
    switch (input.dataset.type) {
      case "signature": case "initials": return input.dataset.adopted === "true" ? "adopted" : "";
      case "checkbox": return input.checked ? "true" : "";
      case "radio": { const r = input.querySelector("input:checked"); return r ? r.value : ""; }
      case "attachment": return input.files.length > 0 ? input.files[0].name : "";
      default: return input.value.trim();
    }
  }

  // applyRules shows, hides, requires and computes fields by the envelope's
  // smart-field rules over what is filled now, others' values included.
  function applyRules() {
    const values = new Map();
    for (const o of view.others) values.set(o.field_id, o.text || (o.drawn ? "drawn" : ""));
    const everyone = view.fields.concat(view.others.map((o) => ({ id: o.field_id, name: o.name, type: o.type })));
    for (const f of view.fields) {
      const input = $("field-" + f.id);
      values.set(f.id, input && !f.formula ? valueOf(input) : (f.value || ""));
    }
    const rules = window.SignflowRules.apply(everyone, values);
    for (const f of view.fields) {
      const input = $("field-" + f.id);
      if (!input) continue;
      input.parentElement.hidden = rules.hidden.has(f.id);
      if (f.formula) input.value = rules.computed.get(f.id) || "";
      if (input.dataset.field === undefined) continue;
      const required = rules.required.has(f.id);
      input.dataset.required = String(required);
      if (input.tagName !== "BUTTON" && input.tagName !== "FIELDSET") input.required = required;
      if (input.tagName === "FIELDSET") input.setAttribute("aria-required", String(required));
    }
  }

  // missing is every required field of this recipient still empty, in
  // page order.
  function missing() {
    return Array.from(document.querySelectorAll("#pages [data-field][data-required=true]"))
      .filter((i) => !i.parentElement.hidden && !filled(i));
  }

  function progress() {
    applyRules();
    const required = Array.from(document.querySelectorAll("#pages [data-field][data-required=true]")).filter((i) => !i.parentElement.hidden).length;
    const left = missing().length;
    for (const input of document.querySelectorAll("#pages [data-field]")) input.parentElement.classList.toggle("done", filled(input));
    fitAll();
    $("progress").textContent = left === 0 ? t("page.all_done") : t("page.progress", { done: required - left, total: required });
    show("next-field", left > 0);
  }

  // focusField moves to a field and marks it current, however "next" was
  // pressed; a radio group's focus goes to its chosen or first button.
  function focusField(id) {
    const input = $("field-" + id);
    if (!input) return;
    for (const el of document.querySelectorAll("#pages .field.current")) el.classList.remove("current");
    input.parentElement.classList.add("current");
    input.scrollIntoView({ block: "center" });
    (input.tagName === "FIELDSET" ? input.querySelector("input:checked") || input.querySelector("input") : input).focus();
  }

  // nextField moves to the first required field still empty after the one
  // in focus, wrapping round.
  function nextField() {
    const left = missing();
    if (left.length === 0) { $("sign").focus(); return; }
    const all = Array.from(document.querySelectorAll("#pages [data-field]"));
    const active = document.activeElement && document.activeElement.closest("[data-field]");
    const at = all.indexOf(active);
    const next = left.find((i) => all.indexOf(i) > at) || left[0];
    focusField(next.id.slice("field-".length));
  }

  // ---- adopting a signature: typed, drawn or uploaded, once ----
  let adoptFor = "";
  let mode = "type";
  const pad = $("pad");
  // signature_pad (from npm, pinned) draws each stroke as the hand moved,
  // smoothed, thicker where it went slowly, as a pen would.
  const drawing = new window.SignaturePad(pad, { penColor: "#10205a", minWidth: 1, maxWidth: 3.2 });
  drawing.addEventListener("endStroke", padChanged);

  function initialsOf(name) {
    return name.trim().split(/\s+/).map((w) => Array.from(w)[0] || "").join("").toUpperCase();
  }

  function openAdopt(fieldID) {
    adoptFor = fieldID;
    $("adopt-heading").textContent = t(kindOf(fieldID) === "initials" ? "page.adopt_initials_heading" : "page.adopt_heading");
    $("adopt-error").textContent = "";
    $("type-preview").textContent = $("type-name").value;
    clearPad();
    $("adopt").showModal();
    if (mode === "draw") sizePad();
    $("tab-" + mode).focus();
  }

  function selectTab(name) {
    mode = name;
    for (const tab of ["type", "draw", "upload"]) {
      const on = tab === name;
      $("tab-" + tab).setAttribute("aria-selected", String(on));
      $("tab-" + tab).tabIndex = on ? 0 : -1;
      show("panel-" + tab, on);
    }
    if (name === "draw") sizePad();
  }

  // padChanged marks the pad drawn or not, and whether a stroke can be
  // undone.
  function padChanged() {
    if (drawing.isEmpty()) delete pad.dataset.drawn;
    else pad.dataset.drawn = "true";
    $("pad-undo").disabled = drawing.toData().length === 0;
  }

  function clearPad() {
    drawing.clear();
    padChanged();
  }

  function undoStroke() {
    const strokes = drawing.toData();
    strokes.pop();
    drawing.fromData(strokes);
    padChanged();
  }

  // sizePad gives the pad as many pixels as it shows (it fills a phone's
  // screen), then draws the strokes again where they were.
  let padRatio = 1;
  function sizePad() {
    const r = pad.getBoundingClientRect();
    if (r.width === 0) return;
    padRatio = Math.max(window.devicePixelRatio || 1, 1);
    const strokes = drawing.toData();
    pad.width = Math.round(r.width * padRatio);
    pad.height = Math.round(r.height * padRatio);
    pad.getContext("2d").scale(padRatio, padRatio);
    drawing.fromData(strokes);
    padChanged();
  }

  // An uploaded image is drawn onto the pad, scaled to fit, and sent as PNG
  // like a drawing.
  function useUpload(file) {
    const img = new Image();
    img.onload = () => {
      // In the pad's own units: it may be hidden behind the Upload tab.
      const w = pad.width / padRatio, h = pad.height / padRatio;
      const scale = Math.min(w / img.width, h / img.height, 1);
      const width = img.width * scale, height = img.height * scale;
      clearPad();
      drawing.fromDataURL(img.src, { ratio: padRatio, width, height, xOffset: (w - width) / 2, yOffset: (h - height) / 2 })
        .then(() => { pad.dataset.drawn = "true"; })
        .catch(() => { $("adopt-error").textContent = t("page.upload_label"); })
        .finally(() => URL.revokeObjectURL(img.src));
    };
    img.onerror = () => { $("adopt-error").textContent = t("page.upload_label"); };
    img.src = URL.createObjectURL(file);
  }

  function kindOf(fieldID) { return $("field-" + fieldID).dataset.type; }

  function adopt() {
    const kind = kindOf(adoptFor);
    if (mode === "type") {
      const text = $("type-name").value.trim();
      if (!text) { $("adopt-error").textContent = t("page.adopt_first"); $("type-name").focus(); return; }
      const initials = { text: $("type-initials").value.trim() || initialsOf(text) };
      if (kind === "signature") {
        adopted.signature = { text };
        adopted.initials = adopted.initials || initials;
      } else {
        adopted.initials = initials;
        adopted.signature = adopted.signature || { text };
      }
    } else {
      if (!pad.dataset.drawn) { $("adopt-error").textContent = t("page.adopt_first"); return; }
      adopted[kind] = { png: pad.toDataURL("image/png").split(",")[1] };
    }
    $("adopt").close();
    // The boxes already placed show the new adoption; this one takes it.
    for (const input of document.querySelectorAll("#pages [data-field][data-type=" + kind + "][data-adopted=true]")) {
      applySignature(input.id.slice("field-".length));
    }
    applySignature(adoptFor);
    focusField(adoptFor);
    nextField();
  }

  // placeSignature puts the adopted signature or initials on a box the
  // signer pressed and moves on; pressed again, the box offers to change it.
  function placeSignature(id) {
    if ($("field-" + id).dataset.adopted === "true") { openAdopt(id); return; }
    applySignature(id);
    nextField();
  }

  // applySignature shows the adopted signature or initials in a box.
  function applySignature(id) {
    const input = $("field-" + id);
    const a = adopted[input.dataset.type];
    input.dataset.adopted = "true";
    input.replaceChildren();
    const shown = a.png ? "" : a.text;
    input.setAttribute("aria-label", (shown ? shown + ": " : "") +
      t("page.signed_field", { field: caption(view.fields.find((f) => f.id === id)) }) + ". " + t("page.change_signature"));
    if (a.png) {
      const img = document.createElement("img");
      img.alt = "";
      img.src = "data:image/png;base64," + a.png;
      input.append(img);
      input.classList.remove("handwriting");
    } else {
      input.textContent = shown;
      input.classList.add("handwriting");
    }
    progress();
    saveSoon();
    tell("field-changed", { field_id: id });
  }

  // ---- keeping progress: a draft on the server, per link ----
  let saveTimer = 0;
  let signing = false;

  // saveSoon keeps what is entered a moment after the signer stops typing;
  // files go with the signature only.
  function saveSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      if (signing) return;
      values({ draft: true }).then((draft) => call("PUT", "/draft", { values: draft }))
        .then(() => { $("saved").textContent = t("page.saved"); })
        .catch(() => { $("saved").textContent = ""; });
    }, 700);
  }

  // restore puts a saved draft back into the fields.
  function restore(draft) {
    for (const v of draft) {
      const input = $("field-" + v.field_id);
      if (!input || input.dataset.field === undefined) continue;
      switch (input.dataset.type) {
        case "signature": case "initials":
          adopted[input.dataset.type] = adopted[input.dataset.type] || (v.image_png_base64 ? { png: v.image_png_base64 } : { text: v.text });
          applySignature(v.field_id);
          break;
        case "checkbox": input.checked = v.checked === true; break;
        case "radio": {
          const r = Array.from(input.querySelectorAll("input")).find((x) => x.value === v.text);
          if (r) r.checked = true;
          break;
        }
        default: if (v.text) input.value = v.text;
      }
    }
  }

  // ---- sending ----
  let lastValues = [];

  function base64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",")[1]);
      reader.onerror = () => reject(new Error(t("page.failed", { status: "file" })));
      reader.readAsDataURL(file);
    });
  }

  async function values(opts) {
    const draft = opts && opts.draft;
    const out = [];
    for (const input of document.querySelectorAll("#pages [data-field]")) {
      const id = input.dataset.field;
      if (input.parentElement.hidden) continue; // the server drops it too
      switch (input.dataset.type) {
        case "signature": case "initials":
          if (input.dataset.adopted === "true") {
            const a = adopted[input.dataset.type];
            out.push(a.png ? { field_id: id, image_png_base64: a.png } : { field_id: id, text: a.text });
          }
          break;
        case "checkbox":
          out.push({ field_id: id, checked: input.checked });
          break;
        case "radio":
          if (valueOf(input)) out.push({ field_id: id, text: valueOf(input) });
          break;
        case "attachment":
          if (!draft && input.files.length > 0) {
            out.push({ field_id: id, attachment: { name: input.files[0].name, content_base64: await base64(input.files[0]) } });
          }
          break;
        default:
          if (input.value.trim()) out.push({ field_id: id, text: input.value.trim() });
      }
    }
    return out;
  }

  async function sign() {
    clearErrors();
    if (view.recipient.role === "approver") return finish(await call("POST", "/sign", { locale: lang }));
    const left = missing();
    if (left.length > 0) {
      $("sign-error").textContent = t("page.missing", { count: left.length });
      left[0].scrollIntoView({ block: "center" });
      left[0].focus();
      return;
    }
    lastValues = await values();
    signing = true;
    clearTimeout(saveTimer);
    try {
      finish(await call("POST", "/sign", { values: lastValues, locale: lang }));
    } finally {
      signing = false;
    }
  }

  // finish thanks the signer and, once everyone has signed, offers the
  // signed copies.
  function finish(result) {
    tell(result.recipient_status === "approved" ? "approved" : "signed", { envelope_status: result.envelope_status });
    show("verify", false);
    show("signing", false);
    $("done-text").textContent = result.recipient_status === "approved" ? t("page.done_approved") : t("page.done_signed");
    $("done-note").textContent = result.copies ? t("page.done_complete") : t("page.done_note");
    const copies = $("copies");
    copies.replaceChildren();
    for (const c of result.copies || []) offerCopy(c).catch(fail);
    show("done", true);
    $("done").focus();
    if (!result.copies) awaitCompletion().catch(() => {});
  }

  // awaitCompletion asks, less and less often while the session lasts,
  // whether everyone has signed, and then offers the completed documents.
  async function awaitCompletion() {
    for (let wait = 5000; wait < 30 * 60 * 1000; wait = Math.min(wait * 1.5, 60000)) {
      await new Promise((done) => setTimeout(done, wait));
      try {
        await call("GET", "");
      } catch (err) {
        const c = err.problem && err.problem.closed_link;
        if (!c) return;
        if (c.state === "completed" && c.copies) {
          $("done-note").textContent = t("page.state.completed");
          for (const copy of c.copies) offerCopy(copy).catch(fail);
          return;
        }
        if (c.state !== "acted" && c.state !== "finishing") return closed(c);
      }
    }
  }

  // offerCopy waits for the signed copy to be written (seconds after the
  // last signature), then offers it for download.
  async function offerCopy(c) {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = t("page.preparing");
    $("copies").append(note);
    for (let i = 0; i < 60; i++) {
      const resp = await fetch(c.url, { credentials: "omit" });
      if (resp.ok) {
        const a = document.createElement("a");
        a.className = "button";
        a.href = URL.createObjectURL(await resp.blob());
        a.download = c.name;
        a.textContent = t("page.download", { name: c.name });
        note.replaceWith(a);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  function ended(text) {
    show("verify", false);
    show("signing", false);
    $("done-text").textContent = text;
    $("done-note").textContent = "";
    show("done", true);
    $("done").focus();
  }

  async function openDocument(d) {
    const pdf = await call("GET", "/documents/" + encodeURIComponent(d.id));
    window.open(URL.createObjectURL(pdf), "_blank", "noopener");
  }

  // setZoom enlarges the pages and fields together, and draws the pages
  // again at the new size once the signer stops pressing, so they stay sharp.
  let redraw = 0;
  function setZoom(z) {
    zoom = Math.min(3, Math.max(1, z));
    $("pages").style.setProperty("--zoom", zoom);
    $("zoom-out").disabled = zoom <= 1;
    clearTimeout(redraw);
    if (view && view.verified) redraw = setTimeout(() => loadPageImages().catch(fail), 400);
  }

  $("send-code").addEventListener("click", () => {
    $("error").textContent = "";
    call("POST", "/otp").then(() => { $("send-code").textContent = t("page.send_again"); $("code").focus(); }).catch(fail);
  });
  // reauthenticate asks a signer whose sender wants a fresh proof just
  // before Sign for their factor again; confirming it signs.
  let resigning = false;
  function reauthenticate() {
    const methods = methodsOf(view.recipient.authentication);
    show("otp", methods.includes("email_otp") || methods.includes("sms_otp"));
    show("access", methods.includes("access_code"));
    $("code").value = $("access-code").value = "";
    $("sent-to").textContent = "";
    $("verify-heading").textContent = t("page.reauth_heading");
    $("sign-error").textContent = t("page.reauth_heading");
    resigning = true;
    show("verify", true);
    $("verify").scrollIntoView({ block: "center" });
    (methods.includes("access_code") ? $("access-code") : $("send-code")).focus();
  }

  $("confirm").addEventListener("click", () => {
    $("error").textContent = "";
    const body = {};
    if (!$("otp").hidden) body.code = $("code").value.trim();
    if (!$("access").hidden) body.access_code = $("access-code").value;
    call("POST", "/session", body).then(async (s) => {
      bearer = s.session_token;
      if (resigning) {
        resigning = false;
        show("verify", false);
        return sign();
      }
      view = await call("GET", "");
      return ready();
    }).catch(fail);
  });
  for (const id of ["code", "access-code"]) {
    $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") $("confirm").click(); });
  }
  $("next-field").addEventListener("click", nextField);
  // A pinch zooms the screen, not the page: the pages are drawn again at
  // the pinched size once the fingers rest.
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", () => {
      clearTimeout(redraw);
      if (view && view.verified) redraw = setTimeout(() => loadPageImages().catch(fail), 400);
    });
  }
  $("zoom-in").addEventListener("click", () => setZoom(zoom + 0.5));
  $("zoom-out").addEventListener("click", () => setZoom(zoom - 0.5));
  $("sign").addEventListener("click", () => sign().catch(fail));
  $("decline").addEventListener("click", () => { show("decline-form", true); $("reason").focus(); });
  $("decline-send").addEventListener("click", () => {
    clearErrors();
    if (!$("reason").value.trim()) { $("sign-error").textContent = t("page.reason_needed"); $("reason").focus(); return; }
    call("POST", "/decline", { reason: $("reason").value }).then(() => { ended(t("page.declined")); tell("declined"); }).catch(fail);
  });
  $("reassign").addEventListener("click", () => { show("reassign-form", true); $("reassign-name").focus(); });
  $("reassign-send").addEventListener("click", () => {
    $("error").textContent = "";
    const body = { name: $("reassign-name").value, email: $("reassign-email").value, reason: $("reassign-reason").value };
    call("POST", "/reassign", body).then(() => { ended(t("page.reassigned", { name: body.name })); tell("reassigned"); }).catch(fail);
  });

  for (const tab of ["type", "draw", "upload"]) $("tab-" + tab).addEventListener("click", () => selectTab(tab));
  $("adopt-tabs").addEventListener("keydown", (e) => {
    const tabs = ["type", "draw", "upload"];
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(mode) + step + tabs.length) % tabs.length];
    selectTab(next);
    $("tab-" + next).focus();
  });
  $("type-name").addEventListener("input", () => {
    $("type-preview").textContent = $("type-name").value;
    $("type-initials").value = initialsOf($("type-name").value);
  });
  $("pad-clear").addEventListener("click", clearPad);
  $("pad-undo").addEventListener("click", undoStroke);
  window.addEventListener("resize", () => { if (!$("panel-draw").hidden) sizePad(); });
  // A "draw first" note goes as soon as the signer does something about it.
  for (const [id, type] of [["pad", "pointerdown"], ["type-name", "input"], ["upload", "change"]]) {
    $(id).addEventListener(type, () => { $("adopt-error").textContent = ""; });
  }
  $("upload").addEventListener("change", () => { if ($("upload").files.length > 0) useUpload($("upload").files[0]); });
  $("adopt-use").addEventListener("click", adopt);
  $("adopt-cancel").addEventListener("click", () => { $("adopt").close(); focusField(adoptFor); });
  setZoom(1);
  load().catch(fail);
})();
