export type { KycStep, KycErrorCode, KycStepDetail, KycSuccessDetail, KycErrorDetail, KycVerifyElement, KycVerifyEventMap } from "./index.js";
export const ATTRIBUTES: readonly string[];
/** Loads the wasm from `url` and defines `<kyc-verify>`. */
export function initAsync(url: string | URL, name?: string): Promise<void>;
