/**
 * The Convex kit: Tandem's Convex-side source (apply, export, parity ranges,
 * canonical hash, sha256, lookups, refs, types), kept once in `convex-kit/`
 * at the package root and copied by `tandem codegen` into every app's Convex
 * folder as `tandem.ts` + `tandem/`. A copy is the source file with a header
 * naming it, so the output is byte-identical for the same Tandem version.
 * `*.d.ts` files in the kit only type-check the kit in place (tandem/tables.ts
 * is rendered per app) and are never copied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../packageRoot.js';
import { GENERATED_MARKER } from './notice.js';

/** `convex-kit/` at the package root (same depth from src/ and from a compiled dist/). */
/** The kit's sources, shipped with the package (the same folder from src/ and dist/). */
export const KIT_DIR = packagePath('convex-kit');

/** The kit's entry module and folder in an app's Convex folder. */
export const KIT_MODULE = 'tandem.ts';
export const KIT_FOLDER = 'tandem';

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function kitSourcePaths(dir: string, rel = ''): string[] {
  const paths: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) paths.push(...kitSourcePaths(dir, child));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) paths.push(child);
  }
  return paths.sort(compare);
}

function header(rel: string): string {
  return [
    `// ${GENERATED_MARKER} from its Convex kit (convex-kit/${rel}); do not edit.`,
    '// Regenerate with: tandem codegen --convex-dir <this folder>',
    '',
  ].join('\n');
}

/** The kit's files keyed by their path in the app's Convex folder. */
export function renderKitFiles(kitDir: string = KIT_DIR): Map<string, string> {
  const files = new Map<string, string>();
  for (const rel of kitSourcePaths(kitDir)) {
    files.set(rel, header(rel) + fs.readFileSync(path.join(kitDir, rel), 'utf8'));
  }
  return files;
}
