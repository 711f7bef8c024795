// Rebuilds dist/ when any source file is newer than the last build, so `npm start` on a fresh
// clone just works and a second `npm start` does not pay for a compile.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const stamp = 'dist/src/cli.js';
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}
const stale = !existsSync(stamp) || newest('src') > statSync(stamp).mtimeMs;
if (stale) {
  if (!existsSync('node_modules/typescript')) {
    console.error('cassia-ac-proxy: dependencies are missing; run `npm ci` first (or use the README command).');
    process.exit(1);
  }
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
