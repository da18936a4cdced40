// The self-serve page: the template's name and documents, a name and an
// email, then on to the signing page, where the email is proven by code.
// Its words come from ../assets/locales/<language>.json.
"use strict";
(function () {
  const token = location.pathname.split("/").pop();
  const api = "../v1/public/" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  let messages = {};
  let lang = "en";

  function t(key, args) {
    let msg = messages[key] || key;
    for (const [k, v] of Object.entries(args || {})) msg = msg.split("{" + k + "}").join(String(v));
    return msg;
  }

  async function useLanguage() {
    const tried = (navigator.languages || [navigator.language]).filter(Boolean).map((l) => l.toLowerCase().split("-")[0]);
    for (const l of [...tried, "en"]) {
      const resp = await fetch("../assets/locales/" + encodeURIComponent(l) + ".json", { headers: { Accept: "application/json" } });
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
  }

  async function call(method, path, body) {
    const resp = await fetch(api + path, { method, credentials: "omit",
      headers: Object.assign({ Accept: "application/json" }, body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined });
    const data = await resp.json();
    if (!resp.ok) {
      const err = new Error(data.detail || t("page.failed", { status: resp.status }));
      err.problem = data;
      throw err;
    }
    return data;
  }

  function fail(err) {
    const errors = err.problem && Array.isArray(err.problem.errors) ? err.problem.errors : [];
    $("error").textContent = err.message + (errors.length ? " " + errors.map((e) => e.message).join(" ") : "");
    const field = errors[0] && { name: "visitor-name", email: "visitor-email" }[errors[0].field];
    if (field) $(field).focus();
  }

  async function load() {
    await useLanguage();
    let offer;
    try {
      offer = await call("GET", "");
    } catch (err) {
      $("name").textContent = t("public.unavailable");
      throw err;
    }
    $("name").textContent = offer.name;
    $("documents").textContent = t("public.documents", { names: offer.documents.map((d) => d.name).join(", ") });
    $("intro").textContent = t("public.intro");
    $("form").hidden = false;
    $("visitor-name").focus();
  }

  $("start").addEventListener("submit", (e) => {
    e.preventDefault();
    $("error").textContent = "";
    $("go").disabled = true;
    call("POST", "/start", { name: $("visitor-name").value, email: $("visitor-email").value, locale: lang })
      .then((r) => location.assign(r.signing_url))
      .catch((err) => { $("go").disabled = false; fail(err); });
  });
  load().catch(fail);
})();
