// Single-file script-tag build: the wasm is inlined, nothing else is fetched.
import { initSync, KycWidget } from "../pkg/kyc_wasm_widget.js";
import wasm from "../pkg/kyc_wasm_widget_bg.wasm";
import { defineKycVerify } from "./element.js";

let ready = null;
defineKycVerify(() => {
  ready ??= Promise.resolve().then(() => {
    initSync({ module: wasm });
    return KycWidget;
  });
  return ready;
});
