/**
 * What a file is in a Next.js application, from its path alone.
 *
 * The first `app` folder of the path is the App Router root (`app/` or
 * `src/app/`, also inside a monorepo package); the first `pages` folder is the
 * Pages Router root. URL paths keep Next's own bracket notation for dynamic
 * segments (`/api/stories/[id]`, `[...slug]`, `[[...slug]]`), so they read the
 * same as the folder names; route groups `(group)` and parallel-route slots
 * `@slot` are removed, as Next removes them from the URL.
 */
import path from 'node:path';

export type SiteKind =
  'route-handler' | 'server-action' | 'page' | 'component' | 'script' | 'module';

export interface PathRole {
  kind: Exclude<SiteKind, 'server-action'>;
  route?: string;
}

const PAGE_FILES = new Set([
  'page',
  'layout',
  'template',
  'default',
  'loading',
  'error',
  'not-found',
  'global-error',
]);
const CODE_EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts']);

/** `relativePath` uses forward slashes (as scan results do). */
export function pathRole(relativePath: string): PathRole {
  const segments = relativePath.split('/');
  const dirs = segments.slice(0, -1);
  const ext = path.extname(relativePath).toLowerCase();
  const base = path.basename(relativePath, ext);
  const appAt = dirs.indexOf('app');
  const pagesAt = dirs.indexOf('pages');
  if (CODE_EXTENSIONS.has(ext) && appAt >= 0 && base === 'route') {
    return { kind: 'route-handler', route: urlPath(dirs.slice(appAt + 1)) };
  }
  if (CODE_EXTENSIONS.has(ext) && pagesAt >= 0) {
    const routeSegments = [...dirs.slice(pagesAt + 1), ...(base === 'index' ? [] : [base])];
    const kind = routeSegments[0] === 'api' ? 'route-handler' : 'page';
    return { kind, route: urlPath(routeSegments) };
  }
  if (appAt >= 0 && PAGE_FILES.has(base))
    return { kind: 'page', route: urlPath(dirs.slice(appAt + 1)) };
  if (ext === '.sql' || dirs.includes('scripts') || dirs.includes('bin')) return { kind: 'script' };
  if (ext === '.tsx' || ext === '.jsx' || dirs.includes('components')) return { kind: 'component' };
  return { kind: 'module' };
}

function urlPath(segments: string[]): string {
  const kept = segments.filter(
    (s) => !(s.startsWith('(') && s.endsWith(')')) && !s.startsWith('@'),
  );
  return `/${kept.join('/')}`;
}
