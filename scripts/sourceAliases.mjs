/**
 * `tandem` and its subpaths resolved to the TypeScript sources, for vitest
 * (vitest.config.ts, vitest.mutate.config.ts): tsconfig.json's `paths` list
 * the same map for tsc and tsx. The compiled CLI needs none of it: there the
 * package's `exports` resolve them to dist/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function sourceAliases() {
  const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
  // Longest first: `tandem/convex` must not be taken for `tandem` + `/convex`.
  return Object.entries(compilerOptions.paths)
    .sort(([a], [b]) => b.length - a.length)
    .map(([name, [target]]) => ({ find: new RegExp(`^${name}$`), replacement: path.join(root, target) }));
}
