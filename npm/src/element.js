// The <kyc-verify> custom element: a thin shell that forwards lifecycle
// callbacks to the Rust widget. Nothing here touches `window`, `document`
// or `HTMLElement` until defineKycVerify() is called in a browser.

export const ATTRIBUTES = [
  "api-base",
  "client-token",
  "publishable-key",
  "locale",
  "labels",
  "steps",
  "device-id",
];

const camel = (a) => a.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/**
 * Defines <kyc-verify> (once). `load` resolves to the wasm KycWidget class
 * once the module is initialised.
 */
export function defineKycVerify(load, name = "kyc-verify") {
  if (typeof customElements === "undefined" || customElements.get(name)) return;

  class KycVerify extends HTMLElement {
    static get observedAttributes() {
      return ATTRIBUTES;
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this._widget = null;
      this._loading = null;
    }

    connectedCallback() {
      if (this._widget || this._loading) return;
      this._loading = load()
        .then((Widget) => {
          if (!this.isConnected || this._widget) return;
          const attrs = ATTRIBUTES.filter((a) => this.hasAttribute(a)).map((a) => [a, this.getAttribute(a)]);
          this._widget = new Widget(this, this.shadowRoot, attrs);
        })
        .catch(() => {
          this.dispatchEvent(
            new CustomEvent("kyc-error", {
              bubbles: true,
              composed: true,
              detail: { code: "widget_load_failed", step: "loading" },
            }),
          );
        })
        .finally(() => {
          this._loading = null;
        });
    }

    disconnectedCallback() {
      if (!this._widget) return;
      this._widget.unmount();
      this._widget.free();
      this._widget = null;
      this.shadowRoot.replaceChildren();
    }

    attributeChangedCallback(attr, before, after) {
      if (this._widget && before !== after) this._widget.attributeChanged(attr, after ?? undefined);
    }

    /** The current step: loading, consent, document, liveness, verifying, done, failed. */
    get step() {
      return this._widget ? this._widget.step : "loading";
    }
  }

  for (const attr of ATTRIBUTES) {
    Object.defineProperty(KycVerify.prototype, camel(attr), {
      get() {
        return this.getAttribute(attr);
      },
      set(v) {
        if (v == null) this.removeAttribute(attr);
        else this.setAttribute(attr, typeof v === "string" ? v : JSON.stringify(v));
      },
    });
  }
  customElements.define(name, KycVerify);
}
