/**
 * The guard: every place in the scanned code where SQL names one of the given
 * tables (by default the legacy auth tables). Findings are values; the CLI turns
 * them into an exit code.
 */
import { ConfigError } from '../core/errors.js';
import { scanFile } from '../sqlscan/scanFile.js';
import type { ScanWarning } from '../sqlscan/warnings.js';
import { collectFiles, displayPath } from '../sqlscan/sourceFiles.js';
import { tableMatcher } from './tableMatcher.js';

export interface GuardFinding {
  file: string;
  line: number;
  column: number;
  table: string;
  schema?: string;
  /** Kind of the innermost statement naming the table: select, insert, upsert, update, delete, create… */
  statement: string;
}

export interface GuardResult {
  findings: GuardFinding[];
  warnings: ScanWarning[];
  filesScanned: number;
}

export interface GuardOptions {
  /** Table names to look for (the project config's legacyTables, or `--tables`). */
  tables: readonly string[];
  /** Paths are resolved against, and shown relative to, this directory (default: process.cwd()). */
  cwd?: string;
}

export const DEFAULT_GUARD_PATHS = ['src'];

export async function scanForTables(
  paths: readonly string[],
  options: GuardOptions,
): Promise<GuardResult> {
  const cwd = options.cwd ?? process.cwd();
  if (options.tables.length === 0)
    throw new ConfigError(
      'legacyTables',
      'no table to guard: list them in the config (legacyTables) or pass --tables',
    );
  const matcher = tableMatcher(options.tables);
  const { files, skipped } = await collectFiles(paths.length ? paths : DEFAULT_GUARD_PATHS, cwd);
  const findings: GuardFinding[] = [];
  const warnings: ScanWarning[] = [...skipped];
  const seen = new Set<string>();
  for (const absolute of files) {
    const scan = await scanFile(absolute, displayPath(absolute, cwd));
    warnings.push(...scan.warnings);
    for (const ref of scan.units.flatMap((u) => u.refs)) {
      if (ref.dynamic || !matcher.matches(ref.table, ref.schema)) continue;
      const key = `${scan.file}:${ref.offset}:${ref.table}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        file: scan.file,
        line: ref.line,
        column: ref.column,
        table: ref.table,
        ...(ref.schema ? { schema: ref.schema } : {}),
        statement: ref.statement,
      });
    }
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { findings, warnings, filesScanned: files.length };
}
