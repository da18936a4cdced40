// The signing page: a client of /v1/signing/{token}. The session is kept in
// memory only (and in the HttpOnly cookie the API sets), never in storage.
"use strict";
(function () {
  const token = location.pathname.split("/").pop();
  const api = "../v1/signing/" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  let bearer = "";
  let view = null;

  async function call(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (bearer) headers["Authorization"] = "Bearer " + bearer;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(api + path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const type = resp.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await resp.json() : await resp.blob();
    if (!resp.ok) throw new Error((data && data.detail) || "The request failed (" + resp.status + ").");
    return data;
  }

  function fail(err) { $("error").textContent = err.message; }
  function show(id, on) { $(id).hidden = !on; }

  async function load() {
    view = await call("GET", "");
    $("subject").textContent = view.envelope.subject;
    $("message").textContent = view.envelope.message || "";
    const methods = { email_otp: ["email_otp"], access_code: ["access_code"], both: ["email_otp", "access_code"] }[view.recipient.authentication] || [];
    show("otp", methods.includes("email_otp"));
    show("access", methods.includes("access_code"));
    if (methods.length > 0) show("verify", true); else await ready();
  }

  async function ready() {
    show("verify", false);
    const list = $("document-list");
    list.replaceChildren();
    for (const d of view.documents) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = d.name + " (" + d.page_count + " pages)";
      b.addEventListener("click", () => openDocument(d).catch(fail));
      li.append(b);
      list.append(li);
    }
    show("documents", true);
    showPages().catch(fail);
    renderFields();
    show("reassign", view.envelope.allow_reassign);
    show("fields", true);
    await call("POST", "/viewed");
  }

  // showPages draws each document's pages, as the API renders them for
  // this width of screen, so the signer reads the document here.
  async function showPages() {
    const box = $("pages");
    box.replaceChildren();
    const width = Math.min(2000, Math.max(100, Math.round(box.clientWidth * (window.devicePixelRatio || 1)) || 1000));
    for (const d of view.documents) {
      for (let n = 1; n <= Math.min(d.page_count, 50); n++) {
        const img = document.createElement("img");
        img.alt = "Page " + n + " of " + d.name;
        box.append(img);
        const png = await call("GET", "/documents/" + encodeURIComponent(d.id) + "/pages/" + n + "?width=" + width);
        img.src = URL.createObjectURL(png);
      }
    }
  }

  async function openDocument(d) {
    const pdf = await call("GET", "/documents/" + encodeURIComponent(d.id));
    window.open(URL.createObjectURL(pdf), "_blank", "noopener");
  }

  function renderFields() {
    const box = $("field-list");
    box.replaceChildren();
    if (view.recipient.role === "approver") {
      $("sign").textContent = "Approve";
      return;
    }
    for (const f of view.fields) {
      if (f.type === "date_signed") continue;
      const caption = (f.type === "signature" ? "Type your full name to sign" : (f.name || f.type)) +
        " (page " + f.page + ")" + (f.required ? " *" : "");
      box.append(f.type === "radio" ? radioGroup(f, caption) : labelled(f, caption));
    }
  }

  // labelled is one input (a select for a dropdown) with its label.
  function labelled(f, caption) {
    const wrap = document.createElement("div");
    const label = document.createElement("label");
    const input = document.createElement(f.type === "dropdown" ? "select" : "input");
    input.id = "field-" + f.id;
    if (!f.read_only) input.dataset.field = f.id;
    input.dataset.type = f.type;
    input.required = f.required;
    if (f.type === "dropdown") {
      input.append(new Option("", ""), ...f.options.map((o) => new Option(o, o)));
    } else {
      input.type = { checkbox: "checkbox", number: "number", email: "email", attachment: "file" }[f.type] || "text";
      if (f.type === "attachment") input.accept = "application/pdf,image/png,image/jpeg";
      if (f.type === "number") {
        input.step = "any";
        if (f.min !== undefined) input.min = f.min;
        if (f.max !== undefined) input.max = f.max;
      }
    }
    if (f.type === "checkbox") input.checked = f.value === "true";
    else if (f.value) input.value = f.value;
    // A read-only value is the sender's: shown, never sent.
    input.disabled = !!f.read_only;
    label.htmlFor = input.id;
    label.textContent = caption;
    wrap.append(label, input);
    if (f.type === "signature" || f.type === "initials") wrap.append(...drawingPad(f));
    return wrap;
  }

  // drawingPad lets the signer draw instead of typing, with a pointer or a
  // finger; what is drawn is sent as a PNG and wins over typed text.
  function drawingPad(f) {
    const label = document.createElement("p");
    const pad = document.createElement("canvas");
    const clear = document.createElement("button");
    pad.id = "pad-" + f.id;
    pad.dataset.draws = f.id;
    pad.width = 600;
    pad.height = 180;
    pad.className = "pad";
    pad.setAttribute("role", "img");
    pad.setAttribute("aria-label", "Drawing area for your " + f.type + "; typing above works as well");
    label.className = "note";
    label.textContent = "Or draw it here:";
    clear.type = "button";
    clear.textContent = "Clear the drawing";
    const g = pad.getContext("2d");
    g.lineWidth = 3;
    g.lineCap = "round";
    g.strokeStyle = "#10205a";
    let drawing = false;
    const at = (e) => {
      const r = pad.getBoundingClientRect();
      return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
    };
    pad.addEventListener("pointerdown", (e) => {
      drawing = true;
      pad.setPointerCapture(e.pointerId);
      g.beginPath();
      g.moveTo(...at(e));
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      g.lineTo(...at(e));
      g.stroke();
      pad.dataset.drawn = "true";
    });
    pad.addEventListener("pointerup", () => { drawing = false; });
    clear.addEventListener("click", () => { g.clearRect(0, 0, pad.width, pad.height); delete pad.dataset.drawn; });
    return [label, pad, clear];
  }

  // radioGroup is a fieldset of one radio button per option.
  function radioGroup(f, caption) {
    const set = document.createElement("fieldset");
    if (!f.read_only) set.dataset.field = f.id;
    set.dataset.type = "radio";
    const legend = document.createElement("legend");
    legend.textContent = caption;
    set.append(legend);
    f.options.forEach((o, i) => {
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "field-" + f.id;
      input.id = "field-" + f.id + "-" + i;
      input.value = o;
      input.checked = f.value === o;
      input.disabled = !!f.read_only;
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = o;
      set.append(input, label);
    });
    return set;
  }

  // base64 reads an attached file for the JSON body.
  function base64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",")[1]);
      reader.onerror = () => reject(new Error("The file could not be read."));
      reader.readAsDataURL(file);
    });
  }

  async function values() {
    const attached = [];
    for (const input of document.querySelectorAll("[data-type=attachment][data-field]")) {
      if (input.files.length > 0) {
        attached.push({ field_id: input.dataset.field,
          attachment: { name: input.files[0].name, content_base64: await base64(input.files[0]) } });
      }
    }
    return attached.concat(Array.from(document.querySelectorAll("[data-field]:not([data-type=attachment])")).flatMap((input) => {
      if (input.dataset.type === "checkbox") return [{ field_id: input.dataset.field, checked: input.checked }];
      if (input.dataset.type === "radio") {
        const chosen = input.querySelector("input:checked");
        return chosen ? [{ field_id: input.dataset.field, text: chosen.value }] : [];
      }
      const pad = document.querySelector("canvas[data-draws='" + input.dataset.field + "']");
      if (pad && pad.dataset.drawn) {
        return [{ field_id: input.dataset.field, image_png_base64: pad.toDataURL("image/png").split(",")[1] }];
      }
      return input.value.trim() ? [{ field_id: input.dataset.field, text: input.value.trim() }] : [];
    }));
  }

  function finish(text) {
    for (const id of ["verify", "documents", "fields"]) show(id, false);
    $("done").textContent = text;
    show("done", true);
  }

  $("send-code").addEventListener("click", () => {
    $("error").textContent = "";
    call("POST", "/otp").then(() => { $("send-code").textContent = "Send another code"; }).catch(fail);
  });
  $("confirm").addEventListener("click", () => {
    $("error").textContent = "";
    const body = {};
    if (!$("otp").hidden) body.code = $("code").value.trim();
    if (!$("access").hidden) body.access_code = $("access-code").value;
    call("POST", "/session", body).then((s) => { bearer = s.session_token; return ready(); }).catch(fail);
  });
  $("sign").addEventListener("click", () => {
    $("error").textContent = "";
    const body = view.recipient.role === "approver" ? Promise.resolve({}) : values().then((v) => ({ values: v }));
    body.then((b) => call("POST", "/sign", b)).then((r) => finish("Thank you. You have " + r.recipient_status +
      ". Everyone receives the completed documents by email once all have signed.")).catch(fail);
  });
  $("decline").addEventListener("click", () => {
    $("error").textContent = "";
    if ($("reason").hidden) { show("reason-label", true); show("reason", true); $("reason").focus(); return; }
    call("POST", "/decline", { reason: $("reason").value }).then(() => finish("You have declined. The sender has been told.")).catch(fail);
  });
  $("reassign").addEventListener("click", () => { show("reassign-form", true); $("reassign-name").focus(); });
  $("reassign-send").addEventListener("click", () => {
    $("error").textContent = "";
    const body = { name: $("reassign-name").value, email: $("reassign-email").value, reason: $("reassign-reason").value };
    call("POST", "/reassign", body).then(() => finish("Done. " + body.name + " has been sent a link of their own; yours no longer works."))
      .catch(fail);
  });
  load().catch((err) => { $("subject").textContent = "This link cannot be opened"; fail(err); });
})();
