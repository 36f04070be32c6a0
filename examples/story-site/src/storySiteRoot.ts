/**
 * The story site's own folder (the one holding its tandem.config.json and
 * sql/), found by walking up from this module: the same from the sources, from
 * the bundle the tool's config loader makes of a module, and from a build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'tandem.config.json')) && fs.existsSync(path.join(dir, 'sql'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`the story site's folder (tandem.config.json, sql/) is not above ${from}`);
  }
}

export const STORY_SITE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A file of the story site, by its path from the example's folder. */
export function storySitePath(...segments: string[]): string {
  return path.join(STORY_SITE_ROOT, ...segments);
}

/** The story site's Convex folder (the generated Tandem kit plus its own functions). */
export const STORY_SITE_CONVEX_DIR = storySitePath('convex');
