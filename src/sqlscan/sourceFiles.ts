/**
 * The files a scan looks at: the given files, and under the given directories
 * every TypeScript/JavaScript/SQL file, skipping node_modules and hidden
 * directories (.git, .next, .tandem). Sorted, so output is stable.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../core/errors.js';

export const SCANNED_EXTENSIONS = [
  '.ts',
  '.tsx',
  '.mts',
  '.cts',
  '.js',
  '.jsx',
  '.mjs',
  '.cjs',
  '.sql',
];

export interface SkippedPath {
  file: string;
  message: string;
}

export function isScannable(file: string): boolean {
  return SCANNED_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** Absolute paths of the files to scan; a path that does not exist is bad input. */
export async function collectFiles(
  paths: readonly string[],
  cwd: string,
): Promise<{ files: string[]; skipped: SkippedPath[] }> {
  const files = new Set<string>();
  const skipped: SkippedPath[] = [];
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat) throw new InvalidInputError('paths', `${given}: no such file or directory`);
    if (stat.isDirectory()) await walk(absolute, files, skipped, cwd);
    else if (isScannable(absolute)) files.add(absolute);
    else
      skipped.push({
        file: displayPath(absolute, cwd),
        message: 'not a TypeScript, JavaScript or SQL file; skipped',
      });
  }
  return { files: [...files].sort(), skipped };
}

async function walk(
  dir: string,
  files: Set<string>,
  skipped: SkippedPath[],
  cwd: string,
): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    skipped.push({
      file: displayPath(dir, cwd),
      message: `cannot read directory: ${(err as Error).message}`,
    });
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      await walk(full, files, skipped, cwd);
    } else if (entry.isFile() && isScannable(entry.name)) {
      files.add(full);
    }
  }
}

/** A path as shown in findings: relative to the working directory, with forward slashes. */
export function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute) || path.basename(absolute);
  return relative.split(path.sep).join('/');
}
