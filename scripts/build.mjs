#!/usr/bin/env node
/**
 * Compiles Tandem to dist/ (`npm run build`): JavaScript, declarations and source
 * maps from src/ and convex/ (tsconfig.build.json), plus the files the compiled
 * code reads or imports that tsc does not emit: the tool schema's SQL migrations
 * and convex/_generated (JavaScript and declarations the project writes itself).
 * Then an initialised PGlite data directory (dist/pglite-template), which new
 * embedded databases are copied from so the CLI never runs initdb itself
 * (src/postgres/pgliteDataDir.ts says why).
 * Plain JavaScript so a clean clone can build before anything else runs.
 *
 * Leaves dist/.build-stamp last: test/support/buildCli.ts compares it with the
 * sources to rebuild before tests that run the compiled CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Non-TypeScript files the compiled code needs beside it: [source dir, file suffix]. */
export const BUILD_ASSETS = [
  ['src/postgres/migrations', '.sql'],
  ['convex/_generated', '.js'],
  ['convex/_generated', '.d.ts'],
];

/** Runs initdb once, here, with the settings the compiled code starts PGlite with. */
async function makePgliteTemplate() {
  const { PGlite } = await import('@electric-sql/pglite');
  const settings = await import(path.join(dist, 'src/postgres/pgliteDataDir.js'));
  const db = await PGlite.create(settings.PGLITE_TEMPLATE_DIR, {
    startParams: settings.pgliteStartParams(PGlite.defaultStartParams),
    initDbStartParams: settings.pgliteInitdbParams(),
  });
  await db.close();
}

export async function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
  }
  for (const [dir, suffix] of BUILD_ASSETS) {
    const from = path.join(root, dir);
    const to = path.join(dist, dir);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      if (name.endsWith(suffix)) fs.copyFileSync(path.join(from, name), path.join(to, name));
    }
  }
  await makePgliteTemplate();
  fs.writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await build();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
