// Signflow embed, version 1. Two elements frame a page of Signflow's, size
// themselves to it, and turn what it tells them into DOM events:
//
// <signflow-signing url="..."> frames the signing page of an embedded
// session (the url your backend got from POST /v1/envelopes/{id}/
// recipients/{rid}/embedded-session): signflow:loaded,
// signflow:field-changed, signflow:signed, signflow:approved,
// signflow:declined, signflow:reassigned, signflow:session-expired.
//
// <signflow-field-editor url="..."> frames the field editor of a template
// (the url of POST /v1/templates/{id}/editor-session): signflow:loaded,
// signflow:field-added, signflow:saved (detail.version),
// signflow:session-expired.
//
// Both fire signflow:error, also when the page does not load within the
// element's timeout, in milliseconds, 15000 by default: an expired or used
// session, or an origin the tenant does not allow. Messages are taken only
// from the framed page, at the url's origin.
"use strict";
(function () {
  if (customElements.get("signflow-signing")) return;

  class SignflowFrame extends HTMLElement {
    static get observedAttributes() { return ["url"]; }

    connectedCallback() {
      if (!this.shadowRoot) {
        const root = this.attachShadow({ mode: "open" });
        const style = document.createElement("style");
        style.textContent = ":host{display:block;min-height:480px}iframe{display:block;width:100%;height:100%;min-height:inherit;border:0}";
        this.frame = document.createElement("iframe");
        this.frame.setAttribute("title", this.getAttribute("label") || this.constructor.label);
        root.append(style, this.frame);
      }
      this.onMessage = (e) => this.receive(e);
      window.addEventListener("message", this.onMessage);
      this.open();
    }

    disconnectedCallback() {
      window.removeEventListener("message", this.onMessage);
      clearTimeout(this.timer);
    }

    attributeChangedCallback() {
      if (this.frame) this.open();
    }

    open() {
      const url = this.getAttribute("url");
      if (!url) return;
      this.origin = new URL(url, location.href).origin;
      this.loaded = false;
      clearTimeout(this.timer);
      const wait = Number(this.getAttribute("timeout")) || 15000;
      this.timer = setTimeout(() => {
        if (!this.loaded) this.emit("error", { reason: "not-loaded" });
      }, wait);
      this.frame.src = url;
    }

    receive(e) {
      if (e.source !== this.frame.contentWindow || e.origin !== this.origin) return;
      const data = e.data;
      if (!data || data.source !== "signflow" || typeof data.type !== "string") return;
      if (data.type === "resize") {
        if (Number.isFinite(data.height) && !this.hasAttribute("fixed-height")) this.style.height = Math.ceil(data.height) + "px";
        return;
      }
      if (data.type === "loaded") {
        this.loaded = true;
        clearTimeout(this.timer);
      }
      this.emit(data.type, data);
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent("signflow:" + type, { detail, bubbles: true, composed: true }));
    }
  }

  customElements.define("signflow-signing", class extends SignflowFrame { static label = "Signing"; });
  customElements.define("signflow-field-editor", class extends SignflowFrame { static label = "Field editor"; });
})();
