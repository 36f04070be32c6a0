/**
 * Tandem's own package folder (the one holding its package.json), found by
 * walking up from this module, so files shipped beside the code (sql/, the
 * default codegen root) are found alike from the sources (src/) and from the
 * compiled build (dist/src/), which sit at different depths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A file or folder of Tandem's package, by its path from the package root. */
export function packagePath(...segments: string[]): string {
  return path.join(PACKAGE_ROOT, ...segments);
}
