/**
 * Which files of a Convex functions folder are function modules, by the rules
 * of Convex's own bundler (convex/dist/esm/bundler/index.js `entryPoints`):
 * JS/TS files outside `_generated/`, except `schema.*`, dotfiles, `#` editor
 * files, names with more than one dot, paths with a space, TypeScript files
 * with no import or export, and folders holding a `convex.config.ts` (nested
 * components). Shared by codegen (the module list in `_generated/api.d.ts`) and
 * the loader that bundles a folder for the local stand-in, so both see the
 * folder as `npx convex deploy` does.
 */
import fs from 'node:fs';
import path from 'node:path';

const ENTRY_POINT_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.tsx', '.mts', '.cts', '.jsx'];
const HAS_IMPORT_OR_EXPORT = /^\s{0,100}(import|export)/m;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isEntryPoint(rel: string, full: string): boolean {
  const base = path.posix.basename(rel);
  if (!ENTRY_POINT_EXTENSIONS.some((ext) => rel.endsWith(ext))) return false;
  if (rel.startsWith('_generated/')) return false;
  if (base.startsWith('.') || base.startsWith('#')) return false;
  if (base === 'schema.ts' || base === 'schema.js') return false;
  if ((base.match(/\./g) ?? []).length > 1) return false;
  if (rel.includes(' ')) return false;
  if ((rel.endsWith('.ts') || rel.endsWith('.tsx')) && fs.existsSync(full)) {
    return HAS_IMPORT_OR_EXPORT.test(fs.readFileSync(full, 'utf8'));
  }
  return true;
}

/**
 * Function modules of `convexDir` (paths relative to it, `/`-separated,
 * sorted), plus `extra` paths about to be written there.
 */
export function listFunctionModules(convexDir: string, extra: readonly string[] = []): string[] {
  const found = new Set(extra.filter((rel) => isEntryPoint(rel, path.join(convexDir, rel))));
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(convexDir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (!fs.existsSync(path.join(full, 'convex.config.ts'))) walk(full);
      } else if (entry.isFile() && isEntryPoint(rel, full)) {
        found.add(rel);
      }
    }
  };
  if (fs.existsSync(convexDir)) walk(convexDir);
  return [...found].sort(compare);
}

/** The schema module of `convexDir` (`schema.ts`, else `schema.js`), or null. */
export function findSchemaModule(convexDir: string): string | null {
  for (const name of ['schema.ts', 'schema.js']) {
    if (fs.existsSync(path.join(convexDir, name))) return name;
  }
  return null;
}
