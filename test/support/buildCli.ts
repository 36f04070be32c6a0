/**
 * Vitest global setup: the CLI subprocess tests run bin/tandem.js, which runs
 * the compiled dist/. Rebuilds it (scripts/build.mjs) when any source it is
 * compiled from is newer than the last build, so a test never exercises stale
 * JavaScript; after `npm ci` (which builds) this is a quick scan of mtimes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STAMP = path.join(root, 'dist', '.build-stamp');
const SOURCES = [
  'src',
  'convex-kit',
  'dashboard',
  'scripts/build.mjs',
  'scripts/buildDashboard.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry))
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

export function builtCliIsFresh(): boolean {
  if (!fs.existsSync(STAMP)) return false;
  const built = fs.statSync(STAMP).mtimeMs;
  return SOURCES.every((source) => newestMtime(path.join(root, source)) <= built);
}

export default function setup(): void {
  if (builtCliIsFresh()) return;
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm run build failed: the CLI tests need dist/');
}
