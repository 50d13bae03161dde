// After wasm-bindgen, before bundling: the wasm and its JS glue made smaller
// in three checked steps.
//
// 1. Dead exports out. leptos depends on server_fn, whose wasm-streams
//    dependency exports three ReadableStream adapter classes that nothing
//    here calls; their JS classes are cut from the glue, and wasm-metadce
//    keeps only the exports the glue still uses (with all they reach).
// 2. wasm-opt -Oz, which also renames every import, export and the import
//    module to a short name (`--minify-imports-and-exports-and-modules`):
//    wasm-bindgen's names carry a 16-hex-digit hash each, ~180 of them, which
//    gzip cannot compress (~4 KB in the wasm and as much again in the JS).
// 3. The glue rewritten to the new names: the import object's keys and every
//    `wasm.<export>`; import functions the wasm no longer uses are dropped.
//
// Any name that does not match both ways fails the build.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";

const ADAPTERS = ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];
const IDENT = "[A-Za-z_$][\\w$]*";

function cut(text, re, what) {
  if (!re.test(text)) throw new Error(`shrink: ${what} not found in the wasm-bindgen glue (wasm-bindgen changed?)`);
  return text.replace(re, "");
}

/**
 * The import functions in the glue's `__wbg_get_imports` (`const import0 = {
 * name: function…, … }`, one per wasm import): name → [start, end) offsets;
 * an entry runs from its key to the next key or the object's end.
 */
function importEntries(glue) {
  const start = glue.indexOf("    const import0 = {\n");
  const end = glue.indexOf("\n    };\n", start);
  if (start < 0 || end < 0) throw new Error("shrink: the import object not found in the glue");
  const keys = [];
  const re = new RegExp(`^ {8}(${IDENT}): `, "gm");
  re.lastIndex = start;
  for (let m; (m = re.exec(glue)) && m.index < end; ) if (m[1] !== "__proto__") keys.push([m[1], m.index]);
  const entries = new Map();
  keys.forEach(([name, at], i) => entries.set(name, [at, i + 1 < keys.length ? keys[i + 1][1] : end + 1]));
  return { entries };
}

const moduleInfo = (file) => {
  const m = new WebAssembly.Module(readFileSync(file));
  return { imports: WebAssembly.Module.imports(m), exports: WebAssembly.Module.exports(m) };
};

export function shrink({ js, wasm, wasmOpt, wasmMetadce, optFlags }) {
  let glue = readFileSync(js, "utf8");

  // 1. dead exports
  for (const c of ADAPTERS) {
    glue = cut(
      glue,
      new RegExp(`export class ${c} \\{\\n[\\s\\S]*?\\n\\}\\nif \\(Symbol\\.dispose\\) ${c}\\.prototype\\[Symbol\\.dispose\\] = ${c}\\.prototype\\.free;\\n`),
      `class ${c}`,
    );
    glue = cut(glue, new RegExp(`const ${c}Finalization = [^\\n]*\\n[^\\n]*\\n[^\\n]*\\n`), `${c}Finalization`);
  }
  if (/intounderlying/i.test(glue)) throw new Error("shrink: the glue still refers to the stream adapters");
  const used = new Set([...glue.matchAll(new RegExp(`\\bwasm\\.(${IDENT})`, "g"))].map((m) => m[1]));
  const before = moduleInfo(wasm);
  const exported = new Set(before.exports.map((e) => e.name));
  for (const name of used) if (!exported.has(name)) throw new Error(`shrink: the glue uses wasm.${name}, not exported`);
  const graph = [
    { name: "glue", root: true, reaches: [...used].map((n) => `export:${n}`) },
    ...before.exports.map((e) => ({ name: `export:${e.name}`, export: e.name })),
    ...before.imports.map((i) => ({ name: `import:${i.module}:${i.name}`, import: [i.module, i.name] })),
  ];
  const graphFile = `${wasm}.graph.json`;
  writeFileSync(graphFile, JSON.stringify(graph));
  const features = ["--enable-reference-types", "--enable-bulk-memory", "--enable-mutable-globals", "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-multivalue"];
  execFileSync(wasmMetadce, ["--graph-file", graphFile, wasm, "-o", wasm, ...features], { stdio: ["ignore", "ignore", "inherit"] });
  rmSync(graphFile);

  // 2. optimise and rename
  execFileSync(wasmOpt, [...optFlags, wasm, "-o", wasm], { stdio: "inherit" });
  // alone: with --converge the renaming would run (and print its mapping) more than once
  const mapping = JSON.parse(
    execFileSync(wasmOpt, ["--minify-imports-and-exports-and-modules", "--strip-producers", "--strip-target-features", wasm, "-o", wasm], {
      stdio: ["ignore", "pipe", "inherit"],
    }).toString(),
  );
  const after = moduleInfo(wasm);

  // 3. the glue follows
  const oldModules = new Set(before.imports.map((i) => i.module));
  const newModules = new Set(after.imports.map((i) => i.module));
  if (oldModules.size !== 1 || newModules.size !== 1) throw new Error("shrink: expected one import module");
  const [oldModule] = oldModules;
  const [newModule] = newModules;
  const moduleKey = `        ${JSON.stringify(oldModule)}: import0,\n`;
  if (glue.split(moduleKey).length !== 2) throw new Error("shrink: the import module key not found once in the glue");
  glue = glue.replace(moduleKey, `        ${JSON.stringify(newModule)}: import0,\n`);

  const importNames = new Map(mapping.imports.map(([, from, to]) => [from, to]));
  const { entries } = importEntries(glue);
  // from the end, so earlier offsets stay valid
  for (const [name, [s, e]] of [...entries].sort((a, b) => b[1][0] - a[1][0])) {
    const to = importNames.get(name);
    glue = to === undefined ? glue.slice(0, s) + glue.slice(e) : glue.slice(0, s) + `        ${to}` + glue.slice(s + 8 + name.length);
  }
  const exportNames = new Map(mapping.exports.map(([from, to]) => [from, to]));
  glue = glue.replace(new RegExp(`\\bwasm\\.(${IDENT})`, "g"), (_, name) => {
    const to = exportNames.get(name);
    if (to === undefined) throw new Error(`shrink: no new name for export ${name}`);
    return `wasm.${to}`;
  });

  // both ways: every import of the wasm is in the glue, every wasm.<x> is exported
  const keys = new Set(importEntries(glue).entries.keys());
  for (const i of after.imports) if (!keys.has(i.name)) throw new Error(`shrink: import ${i.name} missing from the glue`);
  if (keys.size !== after.imports.length) throw new Error("shrink: the glue defines imports the wasm does not use");
  const exports = new Set(after.exports.map((e) => e.name));
  for (const m of glue.matchAll(new RegExp(`\\bwasm\\.(${IDENT})`, "g"))) {
    if (!exports.has(m[1])) throw new Error(`shrink: the glue uses wasm.${m[1]}, not exported`);
  }
  writeFileSync(js, glue);
  return { before, after };
}
