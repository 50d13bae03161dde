// Every state of <kyc-verify>, against a scripted API and camera (mock.js).
// Built from npm/dist (run `npm --prefix npm run build` first).
import { load } from "../../npm/dist/index.js";
// point the loader at the .wasm as Vite emits it (before any story renders)
await load(new URL("../../npm/dist/kyc_wasm_widget_bg.wasm", import.meta.url));
import { documentFile, drop, mockApi, until } from "./mock.js";

const make = (attrs = {}, mock = {}) => {
  mockApi(mock);
  const el = document.createElement("kyc-verify");
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.setAttribute("api-base", "https://kyc.example");
  el.setAttribute("client-token", "kyc_ct_story");
  return el;
};

/** Marks the story as settled (the visual tests wait for it). */
const ready = (play) => async (ctx) => {
  await play(ctx);
  ctx.canvasElement.dataset.ready = "1";
};

const waitStep = (el, step) => until(() => el.step === step, 15000);
const consentDone = async (el) => {
  await waitStep(el, "consent");
  el.shadowRoot.querySelector("button.primary").click();
  await waitStep(el, "document");
};
const toLiveness = async (el) => {
  await consentDone(el);
  await drop(el, await documentFile());
  await waitStep(el, "liveness");
};

export default {
  title: "KYC/kyc-verify",
  render: ({ attrs, mock }) => make(attrs, mock),
  args: { attrs: {}, mock: {} },
};

export const Consent = { play: ready(({ canvasElement }) => waitStep(canvasElement.querySelector("kyc-verify"), "consent")) };

export const ConsentArabic = {
  args: { attrs: { locale: "ar" } },
  play: ready(({ canvasElement }) => waitStep(canvasElement.querySelector("kyc-verify"), "consent")),
};

export const Document = {
  args: { attrs: { steps: "document,liveness", locale: "en" } },
  play: ready(({ canvasElement }) => waitStep(canvasElement.querySelector("kyc-verify"), "document")),
};

export const WrongFileType = {
  args: { attrs: { locale: "fr" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await consentDone(el);
    await drop(el, new File(["not an image"], "notes.txt", { type: "text/plain" }));
    await until(() => el.shadowRoot.querySelector("[part=error]"));
  }),
};

export const Uploading = {
  args: { mock: { upload: "hang" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await consentDone(el);
    await drop(el, await documentFile());
    await until(() => Number(el.shadowRoot.querySelector("progress")?.value) >= 50);
  }),
};

export const NetworkError = {
  args: { mock: { upload: "network" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await consentDone(el);
    await drop(el, await documentFile());
    await until(() => el.shadowRoot.querySelector("[part=error]"));
  }),
};

export const CameraDenied = {
  args: { mock: { camera: "denied" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await toLiveness(el);
    await until(() => el.shadowRoot.querySelector(".prompt")?.textContent.includes("denied"));
  }),
};

export const GestureTurnLeft = {
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await toLiveness(el);
    await until(() => el.shadowRoot.querySelector(".prompt")?.textContent.includes("left"));
  }),
};

export const GestureBlinkLowLight = {
  args: { mock: { hint: "blink", issues: ["too_dark"] } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await toLiveness(el);
    await until(() => el.shadowRoot.querySelector(".issues")?.textContent.includes("light"));
  }),
};

export const Passed = {
  args: { mock: { verify: "passed" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await toLiveness(el);
    await waitStep(el, "done");
  }),
};

export const FailedTryAgain = {
  args: { mock: { verify: "failed" } },
  play: ready(async ({ canvasElement }) => {
    const el = canvasElement.querySelector("kyc-verify");
    await toLiveness(el);
    await waitStep(el, "failed");
  }),
};

export const Themed = {
  args: { attrs: { labels: JSON.stringify({ title: "Open your account" }) } },
  decorators: [
    (story) => {
      const style = document.createElement("style");
      style.textContent = `kyc-verify { --kyc-primary: #7b2cbf; --kyc-radius: 2px; --kyc-font: Georgia, serif; }
        kyc-verify::part(button) { text-transform: uppercase; letter-spacing: .05em; }`;
      const wrap = document.createElement("div");
      wrap.append(style, story());
      return wrap;
    },
  ],
  play: ready(({ canvasElement }) => waitStep(canvasElement.querySelector("kyc-verify"), "consent")),
};
