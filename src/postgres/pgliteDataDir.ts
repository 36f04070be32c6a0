/**
 * Memory bounds for embedded PGlite. Two things dominate its resident memory:
 * `shared_buffers` (Postgres's 128 MB default lives inside the WASM heap) and
 * initdb, which PGlite runs in a second WASM instance whose memory stays
 * referenced after it closes (a fresh data directory cost about 750 MB of RSS
 * on this machine, an existing one about 290 MB with the default 128 MB pool).
 * So embedded Postgres runs with a smaller buffer pool, and a new data
 * directory is copied from a pristine one that the build made (`npm run build`,
 * scripts/build.mjs) instead of running initdb in the caller's process. Without that template (sources run
 * through a TypeScript loader, or a package installed without it) PGlite runs
 * initdb itself, as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packagePath } from '../packageRoot.js';

/**
 * Postgres buffer pool inside PGlite: resident memory. 8 MB rather than 16 MB
 * took the demo's peak from up to 310 MB to under 280 MB, and `sample`'s down
 * by 50 MB; pages beyond it are read through the file system, which the OS caches.
 */
export const PGLITE_SHARED_BUFFERS = '8MB';

/** Where the build leaves a freshly initialised PGlite data directory. */
export const PGLITE_TEMPLATE_DIR = packagePath('dist', 'pglite-template');

/** The build's record of what the template was made from (not part of a data directory). */
const TEMPLATE_STAMP = '.tandem-template';

/** Postgres start parameters: PGlite's own plus the buffer pool size. */
export function pgliteStartParams(
  defaults: readonly string[],
  sharedBuffers = PGLITE_SHARED_BUFFERS,
): string[] {
  return [...defaults, '-c', `shared_buffers=${sharedBuffers}`];
}

/** initdb arguments, so a new data directory's postgresql.conf has the same buffer pool. */
export function pgliteInitdbParams(sharedBuffers = PGLITE_SHARED_BUFFERS): string[] {
  return ['-c', `shared_buffers=${sharedBuffers}`];
}

function isInitialised(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'PG_VERSION'));
}

/**
 * Fills an absent or empty data directory from the build's template; returns
 * whether it did. A directory holding anything else is left alone (PGlite then
 * reports what is wrong with it).
 */
export function seedFromTemplate(dataDir: string, templateDir = PGLITE_TEMPLATE_DIR): boolean {
  if (dataDir.includes('://') || isInitialised(dataDir) || !isInitialised(templateDir))
    return false;
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) return false;
  // Copy beside the target then rename, so a crash mid-copy never leaves a half data directory.
  const partial = `${dataDir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(templateDir, partial, {
    recursive: true,
    filter: (source) => path.basename(source) !== TEMPLATE_STAMP,
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.renameSync(partial, dataDir);
  return true;
}
