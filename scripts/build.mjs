#!/usr/bin/env node
/**
 * Compiles Tandem to dist/ (`npm run build`; `npm ci` runs it through `prepare`):
 * JavaScript, declarations and source maps from src/ and convex-kit/
 * (tsconfig.build.json), plus the files the compiled code reads that tsc does
 * not emit: the tool schema's SQL migrations; the control-room
 * page (dashboard/, bundled by buildDashboard.mjs into dist/dashboard). Then an initialised
 * PGlite data directory (dist/pglite-template), which new embedded databases
 * are copied from so the CLI never runs initdb itself (src/postgres/pgliteDataDir.ts
 * says why); it is kept across builds while PGlite and its settings are unchanged.
 * Plain JavaScript so a clean clone can build before anything else runs.
 *
 * Writes dist/.build-stamp last: test/support/buildCli.ts compares it with the
 * sources to rebuild before tests that run the compiled CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './buildDashboard.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

/** Non-TypeScript files the compiled code needs beside it: [source dir, file suffix]. */
const ASSETS = [['src/postgres/migrations', '.sql']];

function compile() {
  // dist/convex, dist/examples: what builds made before the story site moved to examples/ (never compiled now).
  for (const entry of ['src', 'convex', 'convex-kit', 'examples', '.build-stamp']) {
    fs.rmSync(path.join(dist, entry), { recursive: true, force: true });
  }
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
  }
  for (const [dir, suffix] of ASSETS) {
    const to = path.join(dist, dir);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(path.join(root, dir))) {
      if (name.endsWith(suffix)) fs.copyFileSync(path.join(root, dir, name), path.join(to, name));
    }
  }
}

/** What the template depends on: PGlite's binaries and the settings it is started with. */
function templateFingerprint(settings) {
  const pgliteDist = path.dirname(require.resolve('@electric-sql/pglite'));
  const binaries = ['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((name) => {
    const stat = fs.statSync(path.join(pgliteDist, name));
    return `${name}:${stat.size}:${stat.mtimeMs}`;
  });
  return JSON.stringify({ binaries, initdb: settings.pgliteInitdbParams() });
}

/** Runs initdb once, here, with the settings the compiled code starts PGlite with. */
async function makePgliteTemplate() {
  const { PGlite } = await import('@electric-sql/pglite');
  const settings = await import(path.join(dist, 'src/postgres/pgliteDataDir.js'));
  const dir = settings.PGLITE_TEMPLATE_DIR;
  const stampFile = path.join(dir, '.tandem-template'); // skipped by seedFromTemplate
  const fingerprint = templateFingerprint(settings);
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === fingerprint) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const db = await PGlite.create(dir, {
    startParams: settings.pgliteStartParams(PGlite.defaultStartParams),
    initDbStartParams: settings.pgliteInitdbParams(),
  });
  await db.close();
  fs.writeFileSync(stampFile, fingerprint);
}

try {
  compile();
  await buildDashboard(root);
  await makePgliteTemplate();
  fs.writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
} catch (err) {
  console.error(`build: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
