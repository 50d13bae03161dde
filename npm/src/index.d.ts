/** Steps of the flow, as reported by `kyc-step` and `element.step`. */
export type KycStep = "loading" | "consent" | "document" | "liveness" | "verifying" | "done" | "failed";

/** Stable error codes of `kyc-error` (server codes pass through unchanged). */
export type KycErrorCode =
  | "unsupported_media_type"
  | "malformed_image"
  | "image_too_small"
  | "image_too_large"
  | "payload_too_large"
  | "network_error"
  | "unauthorized"
  | "verification_expired"
  | "camera_denied"
  | "camera_not_found"
  | "camera_busy"
  | "camera_error"
  | "liveness_failed"
  | "liveness_locked"
  | "widget_load_failed"
  | (string & {});

export interface KycStepDetail {
  step: KycStep;
  verificationId: string | null;
}
export interface KycSuccessDetail {
  verificationId: string | null;
  /** `review`: a person will look at it; the integrator's backend reads the result. */
  status: "passed" | "review";
}
export interface KycErrorDetail {
  code: KycErrorCode;
  step: KycStep;
}

/** `<kyc-verify>` */
export interface KycVerifyElement extends HTMLElement {
  /** `api-base`: URL of the kyc server (default: the page's origin). */
  apiBase: string | null;
  /** `client-token`: the verification's client token (`kyc_ct_…`). */
  clientToken: string | null;
  /** `publishable-key`: a publishable key (`kyc_pk_…`); the upload creates the verification. */
  publishableKey: string | null;
  /** `locale`: en, es, fr, de, pt, ar, hi, zh (default: the browser's languages). */
  locale: string | null;
  /** `labels`: JSON object overriding any text, e.g. `{"title": "Open your account"}`. */
  labels: string | Record<string, string> | null;
  /** `steps`: e.g. `document,liveness` to skip the consent screen. */
  steps: string | null;
  /** `device-id`: the camera to use (`MediaDeviceInfo.deviceId`). */
  deviceId: string | null;
  /** The current step. */
  readonly step: KycStep;
  onSuccess?: (detail: KycSuccessDetail) => void;
  onError?: (detail: KycErrorDetail) => void;
  addEventListener<K extends keyof KycVerifyEventMap>(
    type: K,
    listener: (this: KycVerifyElement, ev: KycVerifyEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

export interface KycVerifyEventMap extends HTMLElementEventMap {
  "kyc-step": CustomEvent<KycStepDetail>;
  "kyc-success": CustomEvent<KycSuccessDetail>;
  "kyc-error": CustomEvent<KycErrorDetail>;
}

declare global {
  interface HTMLElementTagNameMap {
    "kyc-verify": KycVerifyElement;
  }
  interface HTMLElementEventMap {
    "kyc-step": CustomEvent<KycStepDetail>;
    "kyc-success": CustomEvent<KycSuccessDetail>;
    "kyc-error": CustomEvent<KycErrorDetail>;
  }
}

/** The observed attributes. */
export const ATTRIBUTES: readonly string[];
/** Loads the wasm (once; default URL: beside this module). */
export function load(wasmUrl?: string | URL): Promise<unknown>;
/** Defines `<kyc-verify>` (automatic in browsers). */
export function define(name?: string): void;
