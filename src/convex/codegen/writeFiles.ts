/**
 * Writing and checking a set of rendered files under a base folder: a file is
 * stale when missing or different on disk, and an obsolete file (one Tandem
 * wrote earlier and no longer produces) is stale while it exists. Writing
 * touches only stale files, so a second run writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FileSet {
  /** Content by path relative to the base folder. */
  files: ReadonlyMap<string, string>;
  /** Paths relative to the base folder to remove. */
  obsolete?: readonly string[];
}

/** Paths (relative to baseDir) that a write would create, change or remove. */
export function staleFiles(baseDir: string, set: FileSet): string[] {
  const stale: string[] = [];
  for (const [file, content] of set.files) {
    const full = path.join(baseDir, file);
    if (!fs.existsSync(full) || fs.readFileSync(full, 'utf8') !== content) stale.push(file);
  }
  for (const file of set.obsolete ?? [])
    if (fs.existsSync(path.join(baseDir, file))) stale.push(file);
  return stale;
}

/** Writes what is stale and removes what is obsolete; returns those paths. */
export function writeFiles(baseDir: string, set: FileSet): string[] {
  const stale = staleFiles(baseDir, set);
  for (const file of stale) {
    const full = path.join(baseDir, file);
    const content = set.files.get(file);
    if (content === undefined) {
      fs.rmSync(full);
      continue;
    }
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return stale;
}
