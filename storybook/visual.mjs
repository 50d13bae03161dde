// Visual regression of every story: the built Storybook is served locally,
// each story opened in headless Chromium, the widget screenshotted (the
// countdown masked) and compared with baselines/<story>.png by pixelmatch.
// UPDATE=1 writes the baselines. Prints "visual: N passed, M failed".
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";

const here = dirname(fileURLToPath(import.meta.url));
const site = join(here, "storybook-static");
const baselines = join(here, "baselines");
const results = join(here, "visual-results");
mkdirSync(baselines, { recursive: true });
mkdirSync(results, { recursive: true });
const MAX_DIFF = 0.005; // share of pixels that may differ (anti-aliasing)

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };
const server = createServer((req, res) => {
  let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path.endsWith("/")) path += "index.html";
  try {
    const body = readFileSync(join(site, path));
    res.writeHead(200, { "content-type": types[extname(path)] || "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const index = JSON.parse(readFileSync(join(site, "index.json"), "utf8"));
const stories = Object.values(index.entries).filter((e) => e.type === "story").map((e) => e.id);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none", "--force-color-profile=srgb"],
});
let failed = 0;
for (const id of stories) {
  const page = await browser.newPage({ viewport: { width: 640, height: 900 }, deviceScaleFactor: 1, reducedMotion: "reduce" });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`${base}/iframe.html?id=${id}&viewMode=story`);
    await page.waitForSelector("#storybook-root[data-ready]", { timeout: 30000 });
    await page.waitForTimeout(300);
    const el = page.locator("kyc-verify");
    const png = await el.screenshot({ mask: [page.locator("kyc-verify [part=meta]")], animations: "disabled" });
    const file = join(baselines, `${id}.png`);
    if (process.env.UPDATE || !existsSync(file)) {
      writeFileSync(file, png);
      console.log(`new  ${id}`);
      continue;
    }
    const a = PNG.sync.read(readFileSync(file));
    const b = PNG.sync.read(png);
    if (a.width !== b.width || a.height !== b.height) throw new Error(`size ${b.width}×${b.height}, baseline ${a.width}×${a.height}`);
    const diff = new PNG({ width: a.width, height: a.height });
    const n = pixelmatch(a.data, b.data, diff.data, a.width, a.height, { threshold: 0.1 });
    const share = n / (a.width * a.height);
    if (share > MAX_DIFF) {
      writeFileSync(join(results, `${id}-actual.png`), png);
      writeFileSync(join(results, `${id}-diff.png`), PNG.sync.write(diff));
      throw new Error(`${n} pixels differ (${(share * 100).toFixed(2)} %)`);
    }
    if (errors.length) throw new Error(errors.join("; "));
    console.log(`ok   ${id}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${id}: ${e.message}`);
  } finally {
    await page.close();
  }
}
await browser.close();
server.close();
console.log(`visual: ${stories.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
