// ESM entry for bundlers: the .wasm file sits beside this file and is
// fetched (same origin) on first use. Importing is side-effect free on the
// server; in a browser the element is defined.
import init, { KycWidget } from "../pkg/kyc_wasm_widget.js";
import { defineKycVerify, ATTRIBUTES } from "./element.js";

let ready = null;
/** Initialises the wasm module (once) and resolves to the widget class. */
export function load(wasmUrl) {
  ready ??= init(wasmUrl ? { module_or_path: wasmUrl } : undefined).then(() => KycWidget);
  return ready;
}

export { ATTRIBUTES };
/** Defines <kyc-verify> (done automatically in a browser). */
export function define(name) {
  defineKycVerify(() => load(), name);
}

if (typeof window !== "undefined") define();
