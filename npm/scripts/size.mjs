// Size report of dist/ (raw, gzip -9, brotli q11) and the budget: the whole
// widget (wasm + JS + styles + all locales) must stay under BUDGET_GZIP.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

// The target is 90 KB gzip for the whole widget; the budgets below sit just
// above what the build reaches today so that growth fails CI.
const TARGET_GZIP = 90 * 1024;
const BUDGET_GZIP = { esm: 89 * 1024, cdn: 114 * 1024 };
const dist = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");
const measure = (files) => {
  const bytes = Buffer.concat(files.map((f) => readFileSync(join(dist, f))));
  const parts = files.map((f) => {
    const b = readFileSync(join(dist, f));
    return {
      file: f,
      raw: b.length,
      gzip: gzipSync(b, { level: 9 }).length,
      brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
  const sum = (k) => parts.reduce((s, p) => s + p[k], 0);
  return { files: parts, raw: bytes.length, gzip: sum("gzip"), brotli: sum("brotli") };
};
const report = {
  esm: measure(["index.js", "kyc_wasm_widget_bg.wasm"]),
  slim: measure(["slim.js", "kyc_wasm_widget_bg.wasm"]),
  cdn: measure(["kyc-verify.iife.js"]),
  targetGzip: TARGET_GZIP,
  budgetGzip: BUDGET_GZIP,
};
writeFileSync(join(dist, "size.json"), JSON.stringify(report, null, 2));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const [name, r] of Object.entries(report)) {
  if (typeof r !== "object" || !("raw" in r)) continue;
  console.log(`${name.padEnd(5)} raw ${kb(r.raw)}  gzip ${kb(r.gzip)}  brotli ${kb(r.brotli)}`);
}
let over = false;
for (const [name, budget] of Object.entries(BUDGET_GZIP)) {
  if (report[name].gzip > budget) {
    console.error(`SIZE BUDGET EXCEEDED: ${name} ${kb(report[name].gzip)} gzip > ${kb(budget)}`);
    over = true;
  }
}
if (over) process.exit(1);
console.log(`size budgets ok (esm ${kb(report.esm.gzip)} gzip; target ${kb(TARGET_GZIP)} ${report.esm.gzip <= TARGET_GZIP ? "met" : "not met"})`);
