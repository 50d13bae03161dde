// The demo page's script (a file, not inline: the page runs under a strict CSP).
const WIDGET = "/widget/v0.1.0/index.js";
const el = document.getElementById("kyc");
const log = document.getElementById("log");
const note = (text) => {
  const li = document.createElement("li");
  li.textContent = text;
  log.append(li);
};
for (const name of ["kyc-step", "kyc-success", "kyc-error"]) {
  el.addEventListener(name, (e) => note(`${name} ${JSON.stringify(e.detail)}`));
}
const params = new URLSearchParams(location.search);
if (params.get("locale")) el.setAttribute("locale", params.get("locale"));
const session = await fetch("/demo/session", { method: "POST" }).then((r) => r.json());
el.setAttribute("client-token", session.clientToken);
el.dataset.verificationId = session.verificationId;
note(`verification ${session.verificationId}`);
try {
  await import(WIDGET);
} catch {
  document.getElementById("missing").hidden = false;
}
