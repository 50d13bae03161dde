// Slim entry: nothing is fetched or defined until you call initAsync(url)
// with where you serve the .wasm file (CDN, own path).
import init, { KycWidget } from "../pkg/kyc_wasm_widget.js";
import { defineKycVerify, ATTRIBUTES } from "./element.js";

export { ATTRIBUTES };

let ready = null;
/** Loads the wasm from `url` and defines <kyc-verify>. */
export function initAsync(url, name) {
  ready ??= init({ module_or_path: url }).then(() => KycWidget);
  defineKycVerify(() => ready, name);
  return ready.then(() => undefined);
}
