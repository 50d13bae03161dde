// npm test: the packaging tests, then the end-to-end tests (both need a
// built dist/, Debian's chromium, ffmpeg, and for e2e the kyc binary built
// with --features danger-fixed-challenge).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let status = 0;
for (const t of ["package.mjs", "e2e.mjs"]) {
  const r = spawnSync(process.execPath, [join(here, t)], { stdio: "inherit" });
  status ||= r.status ?? 1;
}
process.exit(status);
