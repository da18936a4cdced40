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
  // adopted is the signature chosen once for every signature and initials
  // field: {text, initials} typed, or {png} drawn or uploaded.
  let adopted = null;
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

  function t(key, args) {
    let msg = messages[key] || key;
    for (const [k, v] of Object.entries(args || {})) msg = msg.split("{" + k + "}").join(String(v));
    return msg;
  }

  // language is the recipient's (or the envelope's), else the first of the
  // browser's that there is a file for, else English.
  async function useLanguage(preferred) {
    const tried = [preferred, ...(navigator.languages || [navigator.language])].filter(Boolean)
      .map((l) => l.toLowerCase().split("-")[0]);
    for (const l of [...tried, "en"]) {
      const resp = await fetch("../assets/locales/" + encodeURIComponent(l) + ".json", { headers: { Accept: "application/json" } });
      if (resp.ok) {
        messages = await resp.json();
        lang = l;
        break;
      }
    }
    document.documentElement.lang = lang;
    document.title = t("page.title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
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
  function fail(err) {
    $("error").textContent = err.message + fieldErrors(err.problem);
    const first = err.problem && err.problem.errors && err.problem.errors[0];
    const m = first && /^values\[(\d+)\]/.exec(first.field || "");
    if (m && lastValues[Number(m[1])]) focusField(lastValues[Number(m[1])].field_id);
  }
  function fieldErrors(p) {
    return p && Array.isArray(p.errors) ? " " + p.errors.map((e) => e.message).join(" ") : "";
  }
  function show(id, on) { $(id).hidden = !on; }

  async function load() {
    try {
      view = await call("GET", "");
    } catch (err) {
      await useLanguage("");
      $("subject").textContent = t("page.cannot_open");
      tell("error", { status: err.problem && err.problem.status });
      throw err;
    }
    await useLanguage(view.recipient.locale);
    $("subject").textContent = view.envelope.subject;
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
    const methods = { email_otp: ["email_otp"], access_code: ["access_code"], both: ["email_otp", "access_code"] }[view.recipient.authentication] || [];
    show("otp", methods.includes("email_otp"));
    show("access", methods.includes("access_code"));
    $("sent-to").textContent = view.recipient.code_sent_to ? t("page.code_sent_to", { address: view.recipient.code_sent_to }) : "";
    show("verify", true);
    (methods.includes("access_code") ? $("access-code") : $("send-code")).focus();
  }

  async function ready() {
    show("verify", false);
    $("message").textContent = view.envelope.message || "";
    const approver = view.recipient.role === "approver";
    const action = approver ? t("page.approve") : t("page.sign");
    $("sign").textContent = action;
    $("consent").textContent = t("page.consent", { action });
    $("meaning").textContent = view.recipient.meaning ? t("page.meaning", { meaning: view.recipient.meaning }) : "";
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
        for (const o of view.others.filter((o) => o.document_id === d.id && o.page === n)) page.append(otherField(o));
        for (const f of view.fields.filter((f) => f.document_id === d.id && f.page === n)) page.append(fieldOnPage(f));
        box.append(page);
      }
    }
  }

  // loadPageImages fetches the pages drawn by the API at this screen's
  // width, one after another so the first page shows first.
  async function loadPageImages() {
    // The API draws a few widths: the smallest that covers this screen.
    const wanted = Math.round($("pages").clientWidth * (window.devicePixelRatio || 1)) || 1000;
    const width = [400, 600, 800, 1000, 1200, 1600, 2000].find((w) => w >= wanted) || 2000;
    for (const page of document.querySelectorAll("#pages .page")) {
      const path = "/documents/" + encodeURIComponent(page.dataset.doc) + "/pages/" + page.dataset.page + "?width=" + width;
      page.querySelector("img").src = URL.createObjectURL(await patiently(() => call("GET", path)));
    }
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
      input.addEventListener("click", () => (adopted ? applySignature(f.id) : openAdopt(f.id)));
    } else if (f.type === "date_signed") {
      input = document.createElement("input");
      input.type = "text";
      input.readOnly = true;
      input.value = new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date());
      wrap.classList.add("done");
    } else if (f.type === "dropdown" || f.type === "radio") {
      input = document.createElement("select");
      input.append(new Option("", ""), ...f.options.map((o) => new Option(o, o)));
      if (f.value) input.value = f.value;
    } else {
      input = document.createElement("input");
      input.type = { checkbox: "checkbox", number: "number", email: "email", attachment: "file" }[f.type] || "text";
      if (f.type === "attachment") input.accept = "application/pdf,image/png,image/jpeg";
      if (f.type === "number") {
        input.step = "any";
        if (f.min !== undefined) input.min = f.min;
        if (f.max !== undefined) input.max = f.max;
      }
      if (f.type === "checkbox") input.checked = f.value === "true";
      else if (f.value && f.type !== "attachment") input.value = f.value;
    }
    input.id = "field-" + f.id;
    input.dataset.type = f.type;
    // A label starts with the text the control shows (WCAG 2.5.3).
    input.setAttribute("aria-label", (input.dataset.caption ? input.dataset.caption + ": " : "") + caption(f));
    if (f.required) {
      input.dataset.required = "true";
      // A button takes no aria-required: its label says "required".
      if (input.tagName !== "BUTTON") input.required = true;
    }
    // A read-only value is the sender's: shown, never sent.
    if (f.read_only) input.disabled = true;
    else if (f.type !== "date_signed") input.dataset.field = f.id;
    input.addEventListener("input", progress);
    input.addEventListener("change", progress);
    input.addEventListener("change", () => tell("field-changed", { field_id: f.id }));
    wrap.append(input);
    return wrap;
  }

  function filled(input) {
    switch (input.dataset.type) {
      case "signature": case "initials": return input.dataset.adopted === "true";
      case "checkbox": return input.checked;
      case "attachment": return input.files.length > 0;
      default: return input.value.trim() !== "";
    }
  }

  // missing is every required field of this recipient still empty, in
  // page order.
  function missing() {
    return Array.from(document.querySelectorAll("#pages [data-field][data-required=true]")).filter((i) => !filled(i));
  }

  function progress() {
    const required = document.querySelectorAll("#pages [data-field][data-required=true]").length;
    const left = missing().length;
    for (const input of document.querySelectorAll("#pages [data-field]")) input.parentElement.classList.toggle("done", filled(input));
    $("progress").textContent = left === 0 ? t("page.all_done") : t("page.progress", { done: required - left, total: required });
    show("next-field", left > 0);
  }

  function focusField(id) {
    const input = $("field-" + id);
    if (!input) return;
    input.scrollIntoView({ block: "center" });
    input.focus();
  }

  // nextField moves to the first required field still empty after the one
  // in focus, wrapping round.
  function nextField() {
    const left = missing();
    if (left.length === 0) { $("sign").focus(); return; }
    const all = Array.from(document.querySelectorAll("#pages [data-field]"));
    const at = all.indexOf(document.activeElement);
    const next = left.find((i) => all.indexOf(i) > at) || left[0];
    focusField(next.id.slice("field-".length));
  }

  // ---- adopting a signature: typed, drawn or uploaded, once ----
  let adoptFor = "";
  let mode = "type";
  const pad = $("pad");
  const g = pad.getContext("2d");

  function initialsOf(name) {
    return name.trim().split(/\s+/).map((w) => Array.from(w)[0] || "").join("").toUpperCase();
  }

  function openAdopt(fieldID) {
    adoptFor = fieldID;
    $("adopt-error").textContent = "";
    $("type-preview").textContent = $("type-name").value;
    $("adopt").showModal();
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
  }

  function clearPad() {
    g.clearRect(0, 0, pad.width, pad.height);
    delete pad.dataset.drawn;
  }

  // The drawing follows pointer events: a mouse, a pen or a finger.
  (function drawing() {
    g.lineWidth = 3;
    g.lineCap = "round";
    g.strokeStyle = "#10205a";
    let down = false;
    const at = (e) => {
      const r = pad.getBoundingClientRect();
      return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
    };
    pad.addEventListener("pointerdown", (e) => {
      down = true;
      pad.setPointerCapture(e.pointerId);
      g.beginPath();
      g.moveTo(...at(e));
    });
    pad.addEventListener("pointermove", (e) => {
      if (!down) return;
      g.lineTo(...at(e));
      g.stroke();
      pad.dataset.drawn = "true";
    });
    pad.addEventListener("pointerup", () => { down = false; });
  })();

  // An uploaded image is drawn onto the pad, scaled to fit, and sent as PNG
  // like a drawing.
  function useUpload(file) {
    const img = new Image();
    img.onload = () => {
      clearPad();
      const scale = Math.min(pad.width / img.width, pad.height / img.height, 1);
      g.drawImage(img, (pad.width - img.width * scale) / 2, (pad.height - img.height * scale) / 2, img.width * scale, img.height * scale);
      pad.dataset.drawn = "true";
      URL.revokeObjectURL(img.src);
    };
    img.onerror = () => { $("adopt-error").textContent = t("page.upload_label"); };
    img.src = URL.createObjectURL(file);
  }

  function adopt() {
    if (mode === "type") {
      const text = $("type-name").value.trim();
      if (!text) { $("adopt-error").textContent = t("page.adopt_first"); $("type-name").focus(); return; }
      adopted = { text, initials: $("type-initials").value.trim() || initialsOf(text) };
    } else {
      if (!pad.dataset.drawn) { $("adopt-error").textContent = t("page.adopt_first"); return; }
      adopted = { png: pad.toDataURL("image/png").split(",")[1] };
    }
    $("adopt").close();
    for (const input of document.querySelectorAll("#pages [data-field][data-type=signature], #pages [data-field][data-type=initials]")) {
      applySignature(input.id.slice("field-".length), true);
    }
    progress();
    focusField(adoptFor);
    nextField();
  }

  // applySignature shows the adopted signature in a field; a second
  // activation of a signed field lets the signer change it.
  function applySignature(id, fresh) {
    const input = $("field-" + id);
    if (!fresh && input.dataset.adopted === "true") { openAdopt(id); return; }
    input.dataset.adopted = "true";
    input.replaceChildren();
    const shown = adopted.png ? "" : (input.dataset.type === "initials" ? adopted.initials : adopted.text);
    input.setAttribute("aria-label", (shown ? shown + ": " : "") +
      t("page.signed_field", { field: caption(view.fields.find((f) => f.id === id)) }) + ". " + t("page.change_signature"));
    if (adopted.png) {
      const img = document.createElement("img");
      img.alt = "";
      img.src = "data:image/png;base64," + adopted.png;
      input.append(img);
      input.classList.remove("handwriting");
    } else {
      input.textContent = shown;
      input.classList.add("handwriting");
    }
    progress();
    tell("field-changed", { field_id: id });
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

  async function values() {
    const out = [];
    for (const input of document.querySelectorAll("#pages [data-field]")) {
      const id = input.dataset.field;
      switch (input.dataset.type) {
        case "signature": case "initials":
          if (input.dataset.adopted === "true") {
            out.push(adopted.png ? { field_id: id, image_png_base64: adopted.png }
              : { field_id: id, text: input.dataset.type === "initials" ? adopted.initials : adopted.text });
          }
          break;
        case "checkbox":
          out.push({ field_id: id, checked: input.checked });
          break;
        case "attachment":
          if (input.files.length > 0) {
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
    $("error").textContent = "";
    if (view.recipient.role === "approver") return finish(await call("POST", "/sign", {}));
    const left = missing();
    if (left.length > 0) {
      $("error").textContent = t("page.missing", { count: left.length });
      left[0].scrollIntoView({ block: "center" });
      left[0].focus();
      return;
    }
    lastValues = await values();
    finish(await call("POST", "/sign", { values: lastValues }));
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

  function setZoom(z) {
    zoom = Math.min(3, Math.max(1, z));
    $("pages").style.setProperty("--zoom", zoom);
    $("zoom-out").disabled = zoom <= 1;
  }

  $("send-code").addEventListener("click", () => {
    $("error").textContent = "";
    call("POST", "/otp").then(() => { $("send-code").textContent = t("page.send_again"); $("code").focus(); }).catch(fail);
  });
  $("confirm").addEventListener("click", () => {
    $("error").textContent = "";
    const body = {};
    if (!$("otp").hidden) body.code = $("code").value.trim();
    if (!$("access").hidden) body.access_code = $("access-code").value;
    call("POST", "/session", body).then(async (s) => {
      bearer = s.session_token;
      view = await call("GET", "");
      return ready();
    }).catch(fail);
  });
  for (const id of ["code", "access-code"]) {
    $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") $("confirm").click(); });
  }
  $("next-field").addEventListener("click", nextField);
  $("zoom-in").addEventListener("click", () => setZoom(zoom + 0.5));
  $("zoom-out").addEventListener("click", () => setZoom(zoom - 0.5));
  $("sign").addEventListener("click", () => sign().catch(fail));
  $("decline").addEventListener("click", () => { show("decline-form", true); $("reason").focus(); });
  $("decline-send").addEventListener("click", () => {
    $("error").textContent = "";
    if (!$("reason").value.trim()) { $("error").textContent = t("page.reason_needed"); $("reason").focus(); return; }
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
  $("upload").addEventListener("change", () => { if ($("upload").files.length > 0) useUpload($("upload").files[0]); });
  $("adopt-use").addEventListener("click", adopt);
  $("adopt-cancel").addEventListener("click", () => { $("adopt").close(); focusField(adoptFor); });
  setZoom(1);
  load().catch(fail);
})();
