// A scripted kyc API and camera for stories: XMLHttpRequest (uploads),
// fetch (liveness calls) and getUserMedia are replaced in the story's frame.

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

class FakeXhr {
  constructor() {
    this.upload = {};
    this.status = 0;
    this.responseText = "";
  }
  open(method, url) {
    this.url = url;
  }
  setRequestHeader() {}
  send(body) {
    const size = body?.byteLength ?? 1;
    const mode = globalThis.__kycMock.upload;
    let sent = 0;
    const step = () => {
      sent = Math.min(size, sent + size / 4);
      this.upload.onprogress?.({ lengthComputable: true, loaded: sent, total: size });
      if (mode === "hang" && sent >= size / 2) return; // stays "uploading"
      if (sent < size) return setTimeout(step, 80);
      if (mode === "network") return this.onerror?.({});
      this.status = 200;
      this.responseText = JSON.stringify({ verificationId: "8a5c2f0e-0000-4000-8000-000000000001", expiration: "2026-12-25T00:00:00Z" });
      this.onload?.({});
    };
    setTimeout(step, 50);
  }
}

/** A camera stream: a drawn face on a canvas. */
function fakeStream(dark) {
  const c = document.createElement("canvas");
  c.width = 640;
  c.height = 480;
  const g = c.getContext("2d");
  const draw = () => {
    g.fillStyle = dark ? "#1c1f24" : "#c9ced6";
    g.fillRect(0, 0, 640, 480);
    g.fillStyle = dark ? "#4a3c33" : "#e0b89a";
    g.beginPath();
    g.ellipse(320, 230, 95, 125, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#2b2b2b";
    g.beginPath();
    g.ellipse(285, 205, 12, 7, 0, 0, Math.PI * 2);
    g.ellipse(355, 205, 12, 7, 0, 0, Math.PI * 2);
    g.fill();
  };
  draw();
  setInterval(draw, 100);
  return c.captureStream(15);
}

/**
 * Installs the mocks: `upload` ok | network | hang; `camera` ok | denied | missing;
 * `hint` the gesture asked; `issues` frame issues; `verify` passed | failed.
 */
export function mockApi(opts = {}) {
  const o = { upload: "ok", camera: "ok", hint: "turn_left", issues: [], verify: null, ...opts };
  globalThis.__kycMock = o;
  globalThis.XMLHttpRequest = FakeXhr;
  let frames = 0;
  const realFetch = (globalThis.__kycRealFetch ??= globalThis.fetch);
  globalThis.fetch = async (req, init) => {
    const url = typeof req === "string" ? req : req.url;
    const now = Date.now();
    if (url.endsWith("/start-liveness")) {
      return json({
        challenge: { nonce: "n", issuedAt: new Date(now).toISOString(), deadline: new Date(now + 45000).toISOString(), stepCount: 2, first: "turn_left" },
        maxFrames: 300,
        attemptsLeft: 4,
      });
    }
    if (url.endsWith("/submit-frame")) {
      frames++;
      const done = o.verify && frames > 6;
      return json({
        frameId: `f${frames}`,
        faceFound: true,
        faces: 1,
        issues: o.issues,
        progress: done
          ? { completed: 2, total: 2, hint: { kind: "done" } }
          : { completed: 0, total: 2, next: o.hint, hint: { kind: "perform", gesture: o.hint } },
        deadline: new Date(now + 40000).toISOString(),
      });
    }
    if (url.endsWith("/verify")) return json({ status: o.verify || "passed", attemptsLeft: o.verify === "failed" ? 3 : 4 });
    return realFetch.call(globalThis, req, init); // the widget's own .wasm, Storybook's files
  };
  const md = navigator.mediaDevices;
  md.getUserMedia = async () => {
    if (o.camera === "denied") throw new DOMException("Permission denied", "NotAllowedError");
    if (o.camera === "missing") throw new DOMException("Requested device not found", "NotFoundError");
    return fakeStream(o.issues.includes("too_dark"));
  };
}

/** A valid 800×600 PNG as a File (drawn on a canvas). */
export async function documentFile() {
  const c = document.createElement("canvas");
  c.width = 800;
  c.height = 600;
  const g = c.getContext("2d");
  g.fillStyle = "#eef1f6";
  g.fillRect(0, 0, 800, 600);
  g.fillStyle = "#1f4fd1";
  g.fillRect(0, 0, 800, 90);
  g.fillStyle = "#555";
  g.fillRect(60, 150, 220, 280);
  const blob = await new Promise((r) => c.toBlob(r, "image/png"));
  return new File([blob], "passport.png", { type: "image/png" });
}

/** Drops `file` on the widget's drop zone. */
export async function drop(el, file) {
  const zone = await until(() => el.shadowRoot.querySelector(".dropzone"));
  const dt = new DataTransfer();
  dt.items.add(file);
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
}

export async function until(fn, timeout = 8000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}
