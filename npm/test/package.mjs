// Packaging tests: `npm pack` the package, install the tarball in a fresh
// project, and load it (a) through a bundler (esbuild), (b) through a plain
// <script> tag (the CDN file), both in headless Chromium, and (c) import it
// in Node, as server-side rendering would, without a window.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const work = mkdtempSync(join(tmpdir(), "kyc-pack-"));
const results = [];
const fail = (m) => {
  throw new Error(m);
};
async function test(name, fn) {
  try {
    await fn();
    results.push(true);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}: ${e?.stack || e}`);
  }
}

const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: pkg }).toString().trim().split("\n").pop();
const app = join(work, "app");
mkdirSync(app);
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(work, tgz)], { cwd: app });
const installed = join(app, "node_modules/@kyc-sdk/kyc-verify");

await test("the tarball holds the bundles, the wasm and the types, not the sources", async () => {
  const files = execFileSync("tar", ["-tzf", join(work, tgz)]).toString();
  for (const f of ["dist/index.js", "dist/slim.js", "dist/kyc-verify.iife.js", "dist/kyc_wasm_widget_bg.wasm", "dist/index.d.ts"]) {
    if (!files.includes(`package/${f}`)) fail(`${f} missing`);
  }
  if (files.includes("src/") || files.includes(".rs")) fail("sources shipped");
});

await test("importing in Node (server-side rendering) touches no window", async () => {
  const out = execFileSync("node", ["--input-type=module", "-e", "const m = await import('@kyc-sdk/kyc-verify'); console.log(typeof m.define, typeof globalThis.window)"], { cwd: app }).toString().trim();
  if (out !== "function undefined") fail(out);
});

// the bundled app: esbuild resolves the package; the .wasm is copied beside the bundle
const site = join(work, "site");
mkdirSync(site);
writeFileSync(join(app, "main.js"), `import "@kyc-sdk/kyc-verify";\n`);
execFileSync(join(pkg, "node_modules/.bin/esbuild"), ["main.js", "--bundle", "--format=esm", `--outfile=${join(site, "app.js")}`], { cwd: app });
copyFileSync(join(installed, "dist/kyc_wasm_widget_bg.wasm"), join(site, "kyc_wasm_widget_bg.wasm"));
copyFileSync(join(installed, "dist/kyc-verify.iife.js"), join(site, "kyc-verify.iife.js"));
const page = (script) => `<!doctype html><html><head><meta charset="utf-8">${script}</head><body><kyc-verify locale="de"></kyc-verify></body></html>`;
writeFileSync(join(site, "bundled.html"), page(`<script type="module" src="app.js"></script>`));
writeFileSync(join(site, "cdn.html"), page(`<script src="kyc-verify.iife.js"></script>`));

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob:; connect-src 'self'";
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const server = createServer((req, res) => {
  if (req.url === "/favicon.ico") return res.writeHead(204).end();
  try {
    const body = readFileSync(join(site, new URL(req.url, "http://x").pathname));
    res.writeHead(200, { "content-type": types[extname(req.url)] || "application/octet-stream", "content-security-policy": CSP });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });

for (const [name, file] of [["through a bundler (esbuild)", "bundled.html"], ["through a plain <script> tag (CDN file)", "cdn.html"]]) {
  await test(`loads ${name} under a strict CSP`, async () => {
    const p = await browser.newPage();
    const problems = [];
    p.on("pageerror", (e) => problems.push(e.message));
    p.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await p.goto(`${base}/${file}`);
    await p.waitForFunction(() => document.querySelector("kyc-verify")?.step === "consent", null, { timeout: 15000 });
    const title = await p.locator("kyc-verify .title").innerText();
    if (title !== "Identität bestätigen") fail(`title ${title}`);
    if (problems.length) fail(problems.join("; "));
    await p.close();
  });
}

await browser.close();
server.close();
const failed = results.filter((r) => !r).length;
console.log(`package: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
