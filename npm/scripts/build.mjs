// npm --prefix npm run build: cargo (wasm32, size profile) → wasm-bindgen →
// shrink.mjs (dead exports out, wasm-opt -Oz with short import/export names;
// npm binaryen, never Debian's, which breaks the module) → esbuild bundles
// into dist/, then the size report and budget.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { homedir } from "node:os";
import * as esbuild from "esbuild";
import { shrink } from "./shrink.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const root = resolve(pkg, "..");
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
const WASM_BINDGEN_VERSION = "0.2.130";

const run = (cmd, args, opts = {}) => {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
};

function wasmBindgen() {
  const candidates = [
    process.env.WASM_BINDGEN,
    join(homedir(), ".cache/kyc-ci/tools/bin/wasm-bindgen"),
    join(homedir(), ".cargo/bin/wasm-bindgen"),
    "wasm-bindgen",
  ].filter(Boolean);
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ["--version"]).toString().trim();
      if (v.endsWith(WASM_BINDGEN_VERSION)) return c;
    } catch {}
  }
  throw new Error(
    `wasm-bindgen ${WASM_BINDGEN_VERSION} not found: cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION}`,
  );
}

run("cargo", ["build", "-p", "kyc-wasm-widget", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release", "--locked"]);
const built = join(target, "wasm32-unknown-unknown/wasm-release/kyc_wasm_widget.wasm");
const out = join(pkg, "pkg");
rmSync(out, { recursive: true, force: true });
run(wasmBindgen(), ["--target", "web", "--out-dir", out, "--out-name", "kyc_wasm_widget", built]);
const wasm = join(out, "kyc_wasm_widget_bg.wasm");
// dead exports out, wasm-opt -Oz, short import/export names (scripts/shrink.mjs)
console.log("$ shrink (wasm-metadce, wasm-opt -Oz --converge, short names)");
shrink({
  js: join(out, "kyc_wasm_widget.js"),
  wasm,
  wasmOpt: join(pkg, "node_modules/.bin/wasm-opt"),
  wasmMetadce: join(pkg, "node_modules/.bin/wasm-metadce"),
  optFlags: ["-Oz", "--converge"],
});

const dist = join(pkg, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const common = { bundle: true, minify: true, legalComments: "none", target: "es2020", logLevel: "warning" };
await esbuild.build({ ...common, entryPoints: [join(pkg, "src/index.js")], format: "esm", outfile: join(dist, "index.js") });
await esbuild.build({ ...common, entryPoints: [join(pkg, "src/slim.js")], format: "esm", outfile: join(dist, "slim.js") });
await esbuild.build({
  ...common,
  entryPoints: [join(pkg, "src/cdn.js")],
  format: "iife",
  loader: { ".wasm": "binary" },
  outfile: join(dist, "kyc-verify.iife.js"),
});
copyFileSync(wasm, join(dist, "kyc_wasm_widget_bg.wasm"));
copyFileSync(join(pkg, "src/index.d.ts"), join(dist, "index.d.ts"));
copyFileSync(join(pkg, "src/slim.d.ts"), join(dist, "slim.d.ts"));
if (!existsSync(join(dist, "index.js"))) throw new Error("bundle missing");
run("node", [join(pkg, "scripts/size.mjs")]);
